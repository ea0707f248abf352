using System.Text;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// Writes failed rows as JSON Lines: <c>{"stage":…,"error":…,"message":…,"row":{…}}</c>. Each line is
/// flushed as a whole, so the file stays valid whenever the run stops.
/// </summary>
internal sealed class DeadLetterWriter : IDisposable
{
    private readonly object _lock = new();
    private readonly FileStream? _file;
    private readonly ArrayBufferWriterPool _buffer = new();

    public DeadLetterWriter(string? path)
    {
        Path = path;
        if (path is not null)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
    }

    public string? Path { get; }
    public long Written { get; private set; }

    /// <summary>Writes one line; <paramref name="writeRow"/> writes the row value (an object or a string).</summary>
    public void Write(string stage, string errorType, string message, Action<Utf8JsonWriter> writeRow)
    {
        if (_file is null) return;
        lock (_lock)
        {
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

    public void Dispose()
    {
        lock (_lock) _file?.Dispose();
    }

    private sealed class ArrayBufferWriterPool
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _w = new(4096);
        public System.Buffers.ArrayBufferWriter<byte> Get() { _w.ResetWrittenCount(); return _w; }
    }
}
