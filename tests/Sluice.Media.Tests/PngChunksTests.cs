using System.Buffers.Binary;
using System.IO.Compression;
using Sluice.Media;
using Xunit;

namespace Sluice.Media.Tests;

/// <summary>
/// One verdict per PNG whatever the target mode: malformed chunks that lose no image data (the outside suites'
/// cases: PLTE of 4 bytes, of 257 entries, twice, after tRNS; gAMA after IDAT; IEND with data) used to decode
/// as RGB or L through the fast path and fail as RGBA and at 16 bits through libspng. Now both decoders see
/// the same chunks (<see cref="PngChunks"/>): every mode and depth decodes, to the pixels of the same file
/// without the bad chunk, and says what it ignored.
/// </summary>
public class PngChunksTests
{
    private sealed record Chunk(string Type, byte[] Data);

    private static Chunk Plte(int entries) => new("PLTE", Enumerable.Range(0, entries * 3).Select(i => (byte)(i * 7)).ToArray());

    private static readonly Chunk Trns8 = new("tRNS", [0, 7, 0, 14, 0, 21]);

    // name, chunks before IDAT, chunks after IDAT, IEND data, the same file within the spec (what the pixels must equal), what the warning names
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var name in Malformed.Keys)
            foreach (int depth in new[] { 8, 16 })
                foreach (int colorType in new[] { 2, 6 })
                    data.Add(name, depth, colorType);
        return data;
    }

    private static readonly Dictionary<string, (Chunk[] Before, Chunk[] After, byte[] IendData, Chunk[] CleanBefore, string Named)> Malformed = new()
    {
        ["PLTE of 4 bytes"] = ([new("PLTE", [1, 2, 3, 4])], [], [], [], "PLTE of 4 bytes"),
        ["PLTE of 257 entries"] = ([Plte(257)], [], [], [], "PLTE of 257 entries"),
        ["PLTE twice"] = ([Plte(4), Plte(5)], [], [], [Plte(4)], "a second PLTE"),
        ["PLTE after tRNS"] = ([Trns8, Plte(4)], [], [], [Trns8], "PLTE after tRNS"),
        ["gAMA after IDAT"] = ([], [new("gAMA", [0, 0, 0xB1, 0x8F])], [], [], "gAMA after IDAT"),
        ["IEND with data"] = ([], [], [1, 2, 3, 4], [], "IEND with 4 bytes of data"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_malformed_chunk_that_loses_no_data_decodes_the_same_in_every_mode_and_says_so(string name, int depth, int colorType)
    {
        var (before, after, iendData, cleanBefore, named) = Malformed[name];
        // tRNS is only valid in a truecolour image without alpha: with alpha it is what is set aside (and the
        // PLTE after it is then a valid suggested palette).
        if (colorType == 6 && before.Any(c => c.Type == "tRNS"))
        {
            cleanBefore = cleanBefore.Where(c => c.Type != "tRNS").ToArray();
            named = "tRNS in an image with an alpha channel";
        }
        byte[] malformed = Write(31, 9, depth, colorType, before, after, iendData);
        byte[] clean = Write(31, 9, depth, colorType, cleanBefore, [], []);

        foreach (var mode in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
        {
            using var expected = Image.Decode(clean, mode: mode);
            Assert.Null(expected.DecodeWarning);
            Image decoded;
            try
            {
                decoded = Image.Decode(malformed, mode: mode);
            }
            catch (ImageDecodeException e)
            {
                throw new Xunit.Sdk.XunitException($"{name}, {depth}-bit, colour type {colorType}, as {mode}: {e.Message}");
            }
            using (decoded)
            {
                Assert.True(expected.Span.SequenceEqual(decoded.Span), $"{name}, {depth}-bit, colour type {colorType}, as {mode}: other pixels than the clean file");
                Assert.NotNull(decoded.DecodeWarning);
                Assert.Contains(named, decoded.DecodeWarning);
            }
        }
    }

    [Fact]
    public void Ancillary_chunks_libspng_would_refuse_are_ignored_by_both_decoders_without_a_warning()
    {
        // A tEXt keyword of 0 bytes is invalid (libspng refuses the file); Pillow and the fast path ignore text.
        Chunk badText = new("tEXt", [0, (byte)'x']);
        foreach (int depth in new[] { 8, 16 })
        {
            byte[] png = Write(12, 5, depth, 2, [badText], [], []);
            byte[] clean = Write(12, 5, depth, 2, [], [], []);
            foreach (var mode in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
            {
                using var expected = Image.Decode(clean, mode: mode);
                using var decoded = Image.Decode(png, mode: mode);
                Assert.True(expected.Span.SequenceEqual(decoded.Span), $"{depth}-bit as {mode}");
                Assert.Null(decoded.DecodeWarning);
            }
        }
    }

    [Fact]
    public void A_damaged_file_fails_in_every_mode_with_libspngs_message()
    {
        byte[] png = Write(16, 16, 8, 2, [], [], []);
        byte[] badCrc = (byte[])png.Clone();
        badCrc[45] ^= 0x10; // inside IDAT
        byte[] noIdat = Write(16, 16, 8, 2, [], [], [], withIdat: false);
        byte[] criticalUnknown = Write(16, 16, 8, 2, [new("ABCD", [1])], [], []);
        foreach (var (what, bytes) in new[] { ("bad CRC", badCrc), ("no IDAT", noIdat), ("unknown critical chunk", criticalUnknown) })
        {
            var messages = new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA }
                .Select(mode => Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes, mode: mode)).Reason).Distinct().ToArray();
            Assert.True(messages.Length == 1, $"{what}: {string.Join(" | ", messages)}");
        }
    }

    [Fact]
    public void Thousands_of_chunk_level_mutations_get_one_verdict_in_every_mode()
    {
        // Chunks moved, doubled, dropped, cut short or made up, each CRC right so the decoders see them: whatever a
        // file decodes to, L, RGB and RGBA agree on success or failure, on the warning, and RGBA's colour is RGB's.
        var rng = new Random(20261203);
        var bases = new List<byte[]>
        {
            Write(23, 7, 8, 2, [Plte(16), Trns8, new("gAMA", [0, 0, 0xB1, 0x8F]), new("tEXt", "Title\0x"u8.ToArray())], [new("tIME", new byte[7])], []),
            Write(23, 7, 8, 6, [new("sRGB", [0]), new("pHYs", new byte[9])], [], []),
            Write(23, 7, 8, 0, [new("tRNS", [0, 9])], [], []),
            Write(23, 7, 16, 2, [Trns8, new("bKGD", new byte[6])], [], []),
            Write(23, 7, 8, 3, [Plte(256), new("tRNS", [1, 2, 3])], [], []),
            Write(23, 7, 8, 4, [], [new("zTXt", "k\0\0x"u8.ToArray())], []),
        };
        int decoded = 0, failed = 0, warned = 0;
        for (int n = 0; n < 3000; n++)
        {
            var chunks = Chunks(bases[rng.Next(bases.Count)]);
            int edits = rng.Next(1, 4);
            for (int e = 0; e < edits; e++) Mutate(chunks, rng);
            byte[] png = Assemble(chunks);

            var results = new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA }.Select(mode =>
            {
                try { return (Image: Image.Decode(png, mode: mode), Error: (string?)null); }
                catch (ImageDecodeException ex) { return (Image: (Image?)null, Error: ex.Reason); }
            }).ToArray();
            try
            {
                string verdicts = string.Join(" | ", results.Select(r => r.Error ?? "decoded, " + (r.Image!.DecodeWarning ?? "no warning")));
                string layout = string.Join(" ", chunks.Select(c => c.Type + ":" + c.Data.Length));
                Assert.True(results.All(r => r.Error is null) || results.All(r => r.Error is not null), $"case {n} ({layout}): {verdicts}");
                if (results[0].Error is not null) { failed++; continue; }
                decoded++;
                Assert.True(results.Select(r => r.Image!.DecodeWarning).Distinct().Count() == 1, $"case {n} ({layout}): {verdicts}");
                if (results[0].Image!.DecodeWarning is not null) warned++;
                var rgb = results[1].Image!.Span;
                var rgba = results[2].Image!.Span;
                for (int p = 0; p < rgb.Length / 3; p++)
                    if (rgb[p * 3] != rgba[p * 4] || rgb[p * 3 + 1] != rgba[p * 4 + 1] || rgb[p * 3 + 2] != rgba[p * 4 + 2])
                        Assert.Fail($"case {n} ({layout}): RGBA's colour differs from RGB's at pixel {p}");
            }
            finally
            {
                foreach (var r in results) r.Image?.Dispose();
            }
        }
        Assert.True(decoded > 300 && failed > 300 && warned > 100, $"decoded {decoded} ({warned} with a warning), failed {failed}");
    }

    private static List<Chunk> Chunks(byte[] png)
    {
        var list = new List<Chunk>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            list.Add(new(System.Text.Encoding.ASCII.GetString(png, pos + 4, 4), png.AsSpan(pos + 8, len).ToArray()));
            pos += 12 + len;
        }
        return list;
    }

    private static byte[] Assemble(List<Chunk> chunks)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var c in chunks) WriteChunk(png, c.Type, c.Data);
        return png.ToArray();
    }

    private static readonly string[] MadeUp = ["PLTE", "tRNS", "gAMA", "IEND", "IDAT", "tEXt", "sRGB", "abCD", "ABCD", "IHDR", "iCCP", "sBIT"];

    private static void Mutate(List<Chunk> chunks, Random rng)
    {
        int i = rng.Next(chunks.Count);
        switch (rng.Next(7))
        {
            case 0: chunks.Insert(rng.Next(chunks.Count + 1), chunks[i]); break;                       // doubled
            case 1: var c = chunks[i]; chunks.RemoveAt(i); chunks.Insert(rng.Next(chunks.Count + 1), c); break; // moved
            case 2: if (chunks.Count > 1) chunks.RemoveAt(i); break;                                    // dropped
            case 3: chunks[i] = chunks[i] with { Data = chunks[i].Data[..rng.Next(chunks[i].Data.Length + 1)] }; break; // cut short
            case 4:                                                                                         // grown
                var grown = new byte[chunks[i].Data.Length + rng.Next(1, 8)];
                rng.NextBytes(grown);
                chunks[i].Data.CopyTo(grown, 0);
                chunks[i] = chunks[i] with { Data = grown };
                break;
            case 5:                                                                                         // made up
                var data = new byte[rng.Next(0, 12)];
                rng.NextBytes(data);
                chunks.Insert(rng.Next(1, chunks.Count + 1), new(MadeUp[rng.Next(MadeUp.Length)], data));
                break;
            default:                                                                                        // a byte changed
                if (chunks[i].Data.Length == 0) break;
                var changed = (byte[])chunks[i].Data.Clone();
                changed[rng.Next(changed.Length)] = (byte)rng.Next(256);
                chunks[i] = chunks[i] with { Data = changed };
                break;
        }
    }

    /// <summary>A PNG written here (filter None): <paramref name="depth"/>-bit (8 or 16), any colour type, the given chunks around one IDAT.</summary>
    private static byte[] Write(int width, int height, int depth, int colorType, Chunk[] before, Chunk[] after, byte[] iendData, bool withIdat = true)
    {
        int channels = colorType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 }, bytesPerSample = depth / 8, rowBytes = width * channels * bytesPerSample;
        var raw = new byte[(rowBytes + 1) * height];
        for (int y = 0; y < height; y++)
            for (int i = 0; i < rowBytes; i++)
                raw[y * (rowBytes + 1) + 1 + i] = (byte)(i * 5 + y * 11 + (i % channels) * 40);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
            zs.Write(raw);
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colorType;
        WriteChunk(png, "IHDR", ihdr);
        foreach (var c in before) WriteChunk(png, c.Type, c.Data);
        if (withIdat) WriteChunk(png, "IDAT", z.ToArray());
        foreach (var c in after) WriteChunk(png, c.Type, c.Data);
        WriteChunk(png, "IEND", iendData);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data) => TestImages.WritePngChunk(png, type, data);
}
