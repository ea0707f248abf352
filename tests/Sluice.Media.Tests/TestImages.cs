using Xunit;
using System.Buffers.Binary;
using Sluice.Media;

namespace Sluice.Media.Tests;

/// <summary>Synthetic images and byte-level surgery on encoded files.</summary>
internal static class TestImages
{
    /// <summary>A smooth gradient with noise on top, so encoders and filters see both edges and flat areas.</summary>
    public static Image Textured(int width, int height, int seed, PixelMode mode = PixelMode.RGB)
    {
        var rng = new Random(seed);
        var img = Gradient(width, height, mode);
        var span = img.Span;
        for (int i = 0; i < span.Length; i++) span[i] = (byte)Math.Clamp(span[i] + rng.Next(-40, 41), 0, 255);
        return img;
    }

    public static Image Gradient(int width, int height, PixelMode mode = PixelMode.RGB)
    {
        var img = Image.Create(width, height, mode);
        for (int y = 0; y < height; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < width; x++)
            {
                var px = row.Slice(x * img.Channels, img.Channels);
                byte r = (byte)(x * 255 / Math.Max(1, width - 1));
                byte g = (byte)(y * 255 / Math.Max(1, height - 1));
                byte b = (byte)((x + y) * 255 / Math.Max(1, width + height - 2));
                switch (mode)
                {
                    case PixelMode.L: px[0] = (byte)((r + g) / 2); break;
                    case PixelMode.RGB: px[0] = r; px[1] = g; px[2] = b; break;
                    default: px[0] = r; px[1] = g; px[2] = b; px[3] = (byte)(255 - r / 2); break;
                }
            }
        }
        return img;
    }

    public static byte[] Jpeg(int width, int height, int quality = 90, PixelMode mode = PixelMode.RGB)
    {
        using var img = Gradient(width, height, mode);
        using var blob = img.EncodeJpeg(quality);
        return blob.Span.ToArray();
    }

    public static byte[] Png(int width, int height, PixelMode mode = PixelMode.RGB)
    {
        using var img = Gradient(width, height, mode);
        using var blob = img.EncodePng();
        return blob.Span.ToArray();
    }

    /// <summary>A PNG whose IHDR claims <paramref name="width"/>x<paramref name="height"/>, with a valid CRC.</summary>
    public static byte[] PngClaiming(uint width, uint height)
    {
        var png = Png(8, 8);
        // Signature (8), IHDR length (4), "IHDR" (4) at 12, width at 16, height at 20, 5 more bytes, CRC at 29.
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>A JPEG whose SOF header claims <paramref name="width"/>x<paramref name="height"/>.</summary>
    public static byte[] JpegClaiming(ushort width, ushort height)
    {
        var jpeg = Jpeg(16, 16);
        int sof = -1;
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) { sof = i; break; }
        Assert.True(sof > 0, "no SOF marker");
        // FF Cx, length (2), precision (1), height (2), width (2).
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), height);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), width);
        return jpeg;
    }

    /// <summary>Writes one PNG chunk: length, type, data and its CRC.</summary>
    public static void WritePngChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        png.Write(word);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed.AsSpan(4));
        png.Write(typed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>Runs <paramref name="action"/> with <paramref name="budget"/> as the ambient memory budget, on its own flow.</summary>
    public static void WithBudget(MemoryBudget budget, Action action) =>
        Task.Run(() =>
        {
            MemoryBudget.Enter(budget, 0);
            action();
        }).GetAwaiter().GetResult();
}
