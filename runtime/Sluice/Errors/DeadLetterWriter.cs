using System.Text;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// Writes failed rows as JSON Lines: <c>{"stage":…,"error":…,"message":…,"row":{…}}</c>. Each line is
/// flushed as a whole, so the file stays valid whenever the run stops. Like the output, the lines go to
/// <c>dead.partial.jsonl</c> first, renamed over <c>dead.jsonl</c> when the run completes; a run that fails or is
/// cancelled leaves the old file alone and its lines in the partial file (none when there were none).
/// </summary>
internal sealed class DeadLetterWriter : IDisposable
{
    private readonly object _lock = new();
    private readonly FileStream? _file;
    private readonly string? _partial;
    private readonly ArrayBufferWriterPool _buffer = new();
    private bool _closed;

    public DeadLetterWriter(string? path)
    {
        Path = path;
        if (path is not null)
        {
            var full = System.IO.Path.GetFullPath(path);
            var dir = System.IO.Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            _partial = OutputFiles.PartialPath(full);
            _file = new FileStream(_partial, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
    }

    public string? Path { get; }
    public long Written { get; private set; }

    /// <summary>After a run that did not complete: the partial file holding its lines (null when there were none).</summary>
    public string? PartialPath { get; private set; }

    /// <summary>Writes one line; <paramref name="writeRow"/> writes the row value (an object or a string).</summary>
    public void Write(string stage, string errorType, string message, Action<Utf8JsonWriter> writeRow)
    {
        if (_file is null) return;
        lock (_lock)
        {
            if (_closed) return;
            var buf = _buffer.Get();
            using (var w = new Utf8JsonWriter(buf))
            {
                w.WriteStartObject();
                w.WriteString("stage", stage);
                w.WriteString("error", errorType);
                w.WriteString("message", message);
                w.WritePropertyName("row");
                writeRow(w);
                w.WriteEndObject();
            }
            System.Buffers.BuffersExtensions.Write(buf, "\n"u8);
            _file.Write(buf.WrittenSpan);
            _file.Flush();
            Written++;
        }
    }

    /// <summary>Closes the file: renamed over <see cref="Path"/> when the run <paramref name="completed"/>, else kept as the partial file (or removed when empty).</summary>
    public void Close(bool completed)
    {
        lock (_lock)
        {
            if (_file is null || _closed) return;
            _closed = true;
            _file.Dispose();
            if (completed) File.Move(_partial!, System.IO.Path.GetFullPath(Path!), overwrite: true);
            else if (Written > 0) PartialPath = _partial;
            else File.Delete(_partial!);
        }
    }

    /// <summary>Closes as a run that did not complete (see <see cref="Close"/>).</summary>
    public void Dispose() => Close(completed: false);

    private sealed class ArrayBufferWriterPool
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _w = new(4096);
        public System.Buffers.ArrayBufferWriter<byte> Get() { _w.ResetWrittenCount(); return _w; }
    }
}
