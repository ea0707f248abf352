namespace Sluice.Media;

/// <summary>
/// What a JPEG's markers say before libjpeg-turbo decodes it: whether the tables the scans need are in the file,
/// and how many scans a progressive file has. A decompressor keeps the tables of the image it decoded last, so a
/// file without its own (an "abbreviated" stream) would decode with another file's tables, and differently in a
/// fresh process; and a progressive file of hundreds of scans over a huge frame costs seconds of CPU per scan
/// pass before any check of libjpeg's own fires.
/// </summary>
internal readonly record struct JpegStructure(bool HasQuantTables, bool HasHuffmanTables, bool Arithmetic, bool Progressive, int Scans)
{
    /// <summary>Pixel-scans (frame pixels × scans) a progressive JPEG may take: 4 billion, about 300 scans of a 4000×3000 photograph (a normal one has about 10).</summary>
    public const long MaxProgressiveWork = 4_000_000_000;

    /// <summary>Reads the markers up to the first scan (and, for a progressive file, counts its scans through to the end).</summary>
    public static JpegStructure Read(ReadOnlySpan<byte> jpeg)
    {
        bool dqt = false, dht = false, arithmetic = false, progressive = false;
        int i = 2; // after SOI
        while (i + 4 <= jpeg.Length)
        {
            if (jpeg[i] != 0xFF) break; // not at a marker: leave the verdict to libjpeg
            byte marker = jpeg[i + 1];
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; } // no length
            if (marker == 0xD9) break; // EOI before any scan
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            switch (marker)
            {
                case 0xDB: dqt = true; break;
                case 0xC4: dht = true; break;
                case 0xCC: arithmetic = true; break; // DAC
                case 0xC2 or 0xC6 or 0xCA or 0xCE: progressive = true; break;
            }
            if (marker is >= 0xC9 and <= 0xCF and not 0xCC) arithmetic = true;
            if (marker == 0xDA)
            {
                int scans = 1;
                if (progressive)
                {
                    // In entropy-coded data 0xFF is followed by 0x00 or a restart marker, so FF DA is always a scan.
                    var rest = jpeg[(i + 2)..];
                    for (int k = rest.IndexOf((byte)0xFF); k >= 0 && k + 1 < rest.Length; k = NextFF(rest, k + 1))
                        if (rest[k + 1] == 0xDA) scans++;
                }
                return new JpegStructure(dqt, dht, arithmetic, progressive, scans);
            }
            i += 2 + length;
        }
        return new JpegStructure(dqt, dht, arithmetic, progressive, 0);
    }

    private static int NextFF(ReadOnlySpan<byte> data, int from)
    {
        int k = data[from..].IndexOf((byte)0xFF);
        return k < 0 ? -1 : from + k;
    }
}
