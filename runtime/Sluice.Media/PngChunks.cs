using System.Buffers.Binary;
using Sluice.Interop;

namespace Sluice.Media;

/// <summary>
/// The chunk layout of a PNG, read once before either decoder runs, and the one judge of its chunks for both:
/// the fast path and libspng decode the same chunks, so a file gets one verdict whatever the target mode.
/// <para>
/// Decoding needs IHDR, PLTE, tRNS, the IDAT run and IEND. A chunk that breaks the spec's rules in a way that
/// loses no image data (a PLTE of 4 bytes or 257 entries in a truecolour image, a second PLTE, PLTE after
/// tRNS, gAMA after IDAT, IEND with data) is set aside and named in <see cref="Image.DecodeWarning"/>, as
/// libpng and Pillow read such files. Ancillary chunks never reach libspng (it would refuse a file for a text
/// chunk's keyword): when a file has any, libspng decodes a copy of only the chunks above.
/// </para>
/// <para>
/// A file this reader cannot walk (a bad CRC, a truncated chunk, no IEND, an unknown critical chunk, an invalid
/// IHDR or palette of a palette image) is given whole to libspng, which owns its verdict and error message.
/// </para>
/// </summary>
internal sealed class PngChunks
{
    internal const uint IHDR = 0x49484452, IDAT = 0x49444154, IEND = 0x49454E44, PLTE = 0x504C5445, tRNS = 0x74524E53;

    /// <summary>Whether the walk reached IEND with every chunk whole and every CRC right; false leaves the file to libspng.</summary>
    public bool Readable { get; private set; }

    public uint Width { get; private set; }
    public uint Height { get; private set; }
    public byte BitDepth { get; private set; }
    public byte ColorType { get; private set; }
    public byte Interlace { get; private set; }

    /// <summary>Offsets of the PLTE and tRNS chunks kept, or -1.</summary>
    public int Plte { get; private set; } = -1;
    public int Trns { get; private set; } = -1;

    /// <summary>Offset of the first chunk of the IDAT run, how many chunks and data bytes it has.</summary>
    public int FirstIdat { get; private set; } = -1;
    public int IdatChunks { get; private set; }
    public long IdatBytes { get; private set; }

    /// <summary>Whether the file has chunks beyond the ones decoding needs (so libspng gets a copy without them).</summary>
    public bool HasOtherChunks { get; private set; }

    /// <summary>What was set aside, for <see cref="Image.DecodeWarning"/>; null for a file within the spec.</summary>
    public string? Warning => _setAside is null ? null : "PNG chunks outside the spec were ignored: " + string.Join("; ", _setAside) + ".";

    private List<string>? _setAside;

    // Chunks the spec places before the first IDAT (PNG third edition, 5.6).
    private static readonly HashSet<uint> BeforeIdat = [.. new[] { "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "bKGD", "hIST", "pHYs", "sPLT", "cICP", "mDCV", "cLLI" }
        .Select(t => BinaryPrimitives.ReadUInt32BigEndian(System.Text.Encoding.ASCII.GetBytes(t)))];

    private PngChunks() { }

    /// <summary>Walks the chunks of <paramref name="png"/>, whose signature the caller checked.</summary>
    public static unsafe PngChunks Read(ReadOnlySpan<byte> png)
    {
        var layout = new PngChunks();
        fixed (byte* file = png)
            layout.Walk(file, png.Length);
        return layout;
    }

    private unsafe void Walk(byte* file, int length)
    {
        int pos = 8;
        if (!NextChunk(file, length, pos, out uint type, out int dataLength) || type != IHDR || dataLength != 13) return;
        byte* ihdr = file + pos + 8;
        Width = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ihdr, 4));
        Height = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ihdr + 4, 4));
        BitDepth = ihdr[8];
        ColorType = ihdr[9];
        Interlace = ihdr[12];
        if (Width is 0 or > int.MaxValue || Height is 0 or > int.MaxValue || ihdr[10] != 0 || ihdr[11] != 0 || Interlace > 1) return;
        bool depthValid = ColorType switch
        {
            0 => BitDepth is 1 or 2 or 4 or 8 or 16,
            3 => BitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => BitDepth is 8 or 16,
            _ => false,
        };
        if (!depthValid) return;
        bool palette = ColorType == 3, alpha = ColorType is 4 or 6, gray = ColorType is 0 or 4;

        pos += 12 + dataLength;
        bool idatEnded = false;
        uint previous = IHDR;
        while (true)
        {
            if (!NextChunk(file, length, pos, out type, out dataLength)) return;
            if (type == IDAT)
            {
                if (idatEnded) SetAside($"IDAT data after {Name(previous)}, which ended the image data");
                else
                {
                    if (FirstIdat < 0) FirstIdat = pos;
                    IdatChunks++;
                    IdatBytes += dataLength;
                }
            }
            else
            {
                if (FirstIdat >= 0) idatEnded = true;
                if (type == IEND)
                {
                    if (dataLength != 0) SetAside($"IEND with {dataLength:N0} bytes of data");
                    break;
                }
                if (type == IHDR) return;
                if (type == PLTE)
                {
                    int entries = dataLength / 3;
                    bool valid = dataLength % 3 == 0 && entries is >= 1 and <= 256 && (!palette || entries <= 1 << BitDepth);
                    if (palette && (!valid || FirstIdat >= 0)) return; // the palette an image needs is wrong: libspng's verdict
                    if (FirstIdat >= 0) SetAside("PLTE after IDAT");
                    else if (gray) SetAside("PLTE in a grayscale image");
                    else if (Plte >= 0) SetAside("a second PLTE");
                    else if (!valid) SetAside(dataLength % 3 != 0 ? $"PLTE of {dataLength:N0} bytes (not whole entries)" : $"PLTE of {entries:N0} entries");
                    else if (Trns >= 0) SetAside("PLTE after tRNS");
                    else Plte = pos;
                }
                else if (type == tRNS)
                {
                    bool valid = ColorType switch { 0 => dataLength == 2, 2 => dataLength == 6, _ => dataLength >= 1 && Plte >= 0 && dataLength <= PaletteEntries(file) };
                    if (FirstIdat >= 0) SetAside("tRNS after IDAT");
                    else if (alpha) SetAside("tRNS in an image with an alpha channel");
                    else if (Trns >= 0) SetAside("a second tRNS");
                    else if (palette && Plte < 0) SetAside("tRNS before PLTE");
                    else if (!valid) SetAside($"tRNS of {dataLength:N0} bytes");
                    else Trns = pos;
                }
                else if ((type & 0x20000000) == 0)
                {
                    return; // an unknown critical chunk: the image may depend on it
                }
                else
                {
                    HasOtherChunks = true;
                    if (FirstIdat >= 0 && BeforeIdat.Contains(type)) SetAside($"{Name(type)} after IDAT");
                }
            }
            previous = type;
            pos += 12 + dataLength;
        }
        if (FirstIdat < 0 || (palette && Plte < 0) || IdatBytes > int.MaxValue) return;
        Readable = true;
    }

    private unsafe int PaletteEntries(byte* file) => (int)(BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(file + Plte, 4)) / 3);

    private void SetAside(string what)
    {
        _setAside ??= [];
        if (_setAside.Count < 8) _setAside.Add(what);
        HasOtherChunks = true;
    }

    private static string Name(uint type)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, type);
        foreach (byte c in b)
            if (c is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z')) return $"chunk 0x{type:X8}";
        return System.Text.Encoding.ASCII.GetString(b);
    }

    /// <summary>
    /// The file with only the chunks decoding needs: signature, IHDR, the PLTE and tRNS kept, the IDAT run and an
    /// empty IEND, in pooled memory the caller disposes. Only for a <see cref="Readable"/> layout.
    /// </summary>
    public Blob Essential(ReadOnlySpan<byte> png)
    {
        int idatEnd = FirstIdat;
        for (int n = 0; n < IdatChunks; n++) idatEnd += Size(png, idatEnd);
        int plte = Plte >= 0 ? Size(png, Plte) : 0, trns = Trns >= 0 ? Size(png, Trns) : 0;
        var blob = Blob.Rent(8 + 25 + plte + trns + (idatEnd - FirstIdat) + 12);
        var to = blob.Span;
        png[..33].CopyTo(to);
        int w = 33;
        if (plte > 0) { png.Slice(Plte, plte).CopyTo(to[w..]); w += plte; }
        if (trns > 0) { png.Slice(Trns, trns).CopyTo(to[w..]); w += trns; }
        png[FirstIdat..idatEnd].CopyTo(to[w..]);
        w += idatEnd - FirstIdat;
        ReadOnlySpan<byte> iend = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]; // IEND and its CRC
        iend.CopyTo(to[w..]);
        return blob;

        static int Size(ReadOnlySpan<byte> png, int at) => 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
    }

    /// <summary>Reads the chunk header at <paramref name="pos"/> and checks that the whole chunk fits and its CRC is right.</summary>
    private static unsafe bool NextChunk(byte* file, int length, int pos, out uint type, out int dataLength)
    {
        type = 0;
        dataLength = 0;
        if (pos > length - 12) return false;
        uint len = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(file + pos, 4));
        if (len > (uint)(length - pos - 12)) return false;
        type = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(file + pos + 4, 4));
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(file + pos + 8 + len, 4));
        if (Crc32(file + pos + 4, len + 4) != stored) return false;
        dataLength = (int)len;
        return true;
    }

    private static int s_libdeflate; // 0 unknown, 1 yes, -1 no

    /// <summary>CRC-32 with libdeflate's vectorised code, or a table when libdeflate is missing.</summary>
    internal static unsafe uint Crc32(byte* data, uint length)
    {
        int available = Volatile.Read(ref s_libdeflate);
        if (available == 0)
        {
            MediaLibraries.EnsureRegistered();
            Volatile.Write(ref s_libdeflate, available = NativeLibraries.IsAvailable("deflate") ? 1 : -1);
        }
        if (available > 0) return LibDeflate.libdeflate_crc32(0, data, length);
        uint crc = 0xFFFFFFFF;
        for (uint i = 0; i < length; i++) crc = CrcTable[(int)((crc ^ data[i]) & 0xFF)] ^ (crc >> 8);
        return ~crc;
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
