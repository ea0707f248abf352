using System.Buffers;

namespace Sluice;

/// <summary>
/// Parses one RFC 4180 record at a time from UTF-8 bytes: fields separated by commas, optionally quoted
/// (a quote inside is doubled; commas and line breaks inside quotes are data), records ended by CRLF,
/// LF or CR. Field contents are copied (unescaped) into one reused buffer, so a record costs no allocation.
/// Lenient where it is harmless: a quote in the middle of an unquoted field is kept as data.
/// </summary>
internal sealed class CsvRecord
{
    private static readonly SearchValues<byte> s_fieldEnd = SearchValues.Create(",\r\n"u8);

    private byte[] _data = new byte[1024];
    private int _dataLength;
    private int[] _ends = new int[32]; // field i is _data[_ends[i-1].._ends[i]]
    private bool _quoted;

    public enum Status { Complete, NeedMore, Malformed }

    public int Count { get; private set; }

    /// <summary>A line with nothing on it (not even <c>""</c>): skipped by readers.</summary>
    public bool IsBlank => Count == 1 && _dataLength == 0 && !_quoted;

    public ReadOnlySpan<byte> Field(int index)
    {
        int start = index == 0 ? 0 : _ends[index - 1];
        return _data.AsSpan(start, _ends[index] - start);
    }

    /// <summary>
    /// Parses the record at the start of <paramref name="input"/>. <paramref name="consumed"/> includes its
    /// line end; <paramref name="lineEnds"/> counts the line ends it spans (inside quotes too). Without
    /// <paramref name="final"/>, a record that may go on past the input gives <see cref="Status.NeedMore"/>.
    /// A malformed record is consumed up to the end of its line; <paramref name="error"/> says what is wrong.
    /// </summary>
    public Status Parse(ReadOnlySpan<byte> input, bool final, out int consumed, out int lineEnds, out string? error)
    {
        Count = 0;
        _dataLength = 0;
        _quoted = false;
        consumed = 0;
        lineEnds = 0;
        error = null;
        int pos = 0;
        while (true)
        {
            if (pos < input.Length && input[pos] == (byte)'"')
            {
                _quoted = true;
                int open = pos++;
                while (true)
                {
                    int q = input[pos..].IndexOf((byte)'"');
                    if (q < 0)
                    {
                        if (!final) return Status.NeedMore;
                        error = "a quoted field is not closed before the end of the file";
                        consumed = input.Length;
                        lineEnds = input.Count((byte)'\n');
                        return Status.Malformed;
                    }
                    Append(input.Slice(pos, q));
                    pos += q + 1;
                    if (pos == input.Length)
                    {
                        if (!final) return Status.NeedMore; // the next byte may be a second quote
                        break;
                    }
                    if (input[pos] != (byte)'"') break;
                    Append("\""u8);
                    pos++;
                }
                lineEnds += input[open..pos].Count((byte)'\n');
                EndField();
                if (pos == input.Length) break;
                byte c = input[pos];
                if (c == (byte)',') { pos++; continue; }
                if (c is not ((byte)'\n' or (byte)'\r'))
                {
                    int nl = input[pos..].IndexOf((byte)'\n');
                    if (nl < 0 && !final) return Status.NeedMore;
                    error = $"unexpected '{(char)c}' after the closing quote of field {Count} (a quote inside a field must be doubled)";
                    consumed = nl < 0 ? input.Length : pos + nl + 1;
                    if (nl >= 0) lineEnds++;
                    return Status.Malformed;
                }
            }
            else
            {
                int e = input[pos..].IndexOfAny(s_fieldEnd);
                if (e < 0)
                {
                    if (!final) return Status.NeedMore;
                    Append(input[pos..]);
                    EndField();
                    pos = input.Length;
                    break;
                }
                Append(input.Slice(pos, e));
                EndField();
                pos += e;
                if (input[pos] == (byte)',') { pos++; continue; }
            }

            // At a line end: CRLF, LF or a lone CR.
            if (input[pos] == (byte)'\r')
            {
                if (pos + 1 == input.Length && !final) return Status.NeedMore;
                pos += pos + 1 < input.Length && input[pos + 1] == (byte)'\n' ? 2 : 1;
            }
            else
            {
                pos++;
            }
            lineEnds++;
            break;
        }
        consumed = pos;
        return Status.Complete;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_data.Length - _dataLength < bytes.Length)
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _dataLength + bytes.Length));
        bytes.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += bytes.Length;
    }

    private void EndField()
    {
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        _ends[Count++] = _dataLength;
    }
}
