namespace Sluice.Media;

/// <summary>
/// What a JPEG's markers say before libjpeg-turbo decodes it: whether every table a scan uses is defined in the
/// file before it, and how many scans the file has. A decompressor keeps the tables of the image it decoded last,
/// so a file that uses a table it does not define (an "abbreviated" stream, or a damaged table id) would decode
/// with another file's table, and differently in a fresh process; and a progressive file of hundreds of scans
/// over a huge frame costs seconds of CPU per scan pass before any check of libjpeg's own fires.
/// </summary>
internal readonly record struct JpegStructure(bool HasQuantTables, bool HasHuffmanTables, bool Arithmetic, bool Progressive, int Scans,
                                              bool UsesUndefinedTables = false)
{
    /// <summary>Pixel-scans (frame pixels × scans) a progressive JPEG may take: 4 billion, about 300 scans of a 4000×3000 photograph (a normal one has about 10).</summary>
    public const long MaxProgressiveWork = 4_000_000_000;

    /// <summary>
    /// Walks the markers of the whole file, skipping each scan's entropy-coded data: tables defined (DQT, DHT), the
    /// frame's quantization table ids (SOF), and each scan's Huffman table ids (SOS), checked against those defined
    /// before it. Stops at EOI, at anything that is not a marker where one should be, or at the end.
    /// </summary>
    public static JpegStructure Read(ReadOnlySpan<byte> jpeg)
    {
        bool dqt = false, dht = false, arithmetic = false, progressive = false, undefined = false;
        int quantDefined = 0, dcDefined = 0, acDefined = 0, quantUsed = 0, scans = 0;
        int i = 2; // after SOI
        while (i + 4 <= jpeg.Length)
        {
            if (jpeg[i] != 0xFF) break; // not at a marker: leave the verdict to libjpeg
            byte marker = jpeg[i + 1];
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; } // no length
            if (marker == 0xD9) break; // EOI
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (length < 2 || i + 2 + length > jpeg.Length) break;
            var body = jpeg.Slice(i + 4, length - 2);
            switch (marker)
            {
                case 0xDB:
                    dqt = true;
                    // Tables of 1 + 64 (8-bit) or 1 + 128 (16-bit) bytes, each led by Pq (high nibble) and Tq (low).
                    for (int k = 0; k < body.Length;)
                    {
                        quantDefined |= 1 << (body[k] & 3);
                        k += (body[k] >> 4) == 0 ? 65 : 129;
                    }
                    break;
                case 0xC4:
                    dht = true;
                    // Tables of 1 + 16 counts + their values, each led by Tc (0 DC, 1 AC) and Th.
                    for (int k = 0; k + 17 <= body.Length;)
                    {
                        int id = body[k] & 3;
                        if ((body[k] >> 4) == 0) dcDefined |= 1 << id; else acDefined |= 1 << id;
                        int values = 0;
                        for (int c = 1; c <= 16; c++) values += body[k + c];
                        k += 17 + values;
                    }
                    break;
                case 0xCC: arithmetic = true; break; // DAC
            }
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                // SOFn: P, Y, X, Nf, then per component C, H/V, Tq.
                if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE) progressive = true;
                if (marker >= 0xC9) arithmetic = true;
                for (int k = 6; k + 2 < body.Length && k < 6 + 3 * body[5]; k += 3) quantUsed |= 1 << (body[k + 2] & 3);
            }
            i += 2 + length;
            if (marker == 0xDA)
            {
                scans++;
                // SOS: Ns, per component Cs and Td/Ta, then Ss, Se, Ah/Al. A scan uses the tables its kind needs.
                int ns = body.Length > 0 ? body[0] : 0;
                if (body.Length >= 1 + 2 * ns + 3)
                {
                    int ss = body[1 + 2 * ns], ah = body[3 + 2 * ns] >> 4;
                    bool usesDc = !progressive || (ss == 0 && ah == 0), usesAc = !progressive || ss > 0;
                    for (int c = 0; c < ns && !arithmetic; c++)
                    {
                        int tables = body[2 + 2 * c];
                        if (usesDc && (dcDefined & (1 << ((tables >> 4) & 3))) == 0) undefined = true;
                        if (usesAc && (acDefined & (1 << (tables & 3))) == 0) undefined = true;
                    }
                }
                if (scans == 1 && (quantUsed & ~quantDefined) != 0) undefined = true;
                i = SkipEntropyData(jpeg, i);
            }
        }
        return new JpegStructure(dqt, dht, arithmetic, progressive, scans, undefined);
    }

    /// <summary>The offset of the first marker after the entropy-coded data at <paramref name="from"/> (FF then neither 00 nor RSTn), or the end.</summary>
    private static int SkipEntropyData(ReadOnlySpan<byte> data, int from)
    {
        while (from < data.Length)
        {
            int k = data[from..].IndexOf((byte)0xFF);
            if (k < 0) return data.Length;
            int at = from + k;
            if (at + 1 >= data.Length) return data.Length;
            byte next = data[at + 1];
            if (next != 0x00 && next != 0xFF && next is not (>= 0xD0 and <= 0xD7)) return at;
            from = at + (next == 0xFF ? 1 : 2);
        }
        return data.Length;
    }
}
