using System.Buffers;

namespace Sluice;

/// <summary>
/// A growable byte buffer that sinks fill with whole rows. Unlike <see cref="ArrayBufferWriter{T}"/>
/// it can be cut back (<see cref="Truncate"/>), so a row that fails half-written leaves no trace.
/// </summary>
internal sealed class ByteBuffer : IBufferWriter<byte>
{
    private byte[] _array;
    private int _length;

    public ByteBuffer(int capacity = 4096) => _array = new byte[Math.Max(capacity, 16)];

    public int Length => _length;
    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    public void Clear() => _length = 0;

    public void Truncate(int length)
    {
        if ((uint)length > (uint)_length) throw new ArgumentOutOfRangeException(nameof(length));
        _length = length;
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _length)) throw new ArgumentOutOfRangeException(nameof(count));
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    public void Write(byte value)
    {
        if (_length == _array.Length) Ensure(1);
        _array[_length++] = value;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Ensure(int sizeHint)
    {
        int need = Math.Max(sizeHint, 1);
        if (_array.Length - _length >= need) return;
        long size = Math.Max((long)_array.Length * 2, (long)_length + need);
        if (size > Array.MaxLength) size = Math.Max(Array.MaxLength, _length + need);
        Array.Resize(ref _array, (int)size);
    }
}
