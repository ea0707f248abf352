using System.Runtime.InteropServices;
using Sluice.Interop;
using Sluice.Media;
using Sluice.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Media.Tests;

/// <summary>
/// CMYK and YCCK JPEGs (product catalogues, print workflows) decode to RGB, L and RGBA as Pillow reads them:
/// Pillow writes the CMYK file, libjpeg-turbo's own compressor the YCCK ones (it turns CMYK into YCCK), and
/// Pillow's decode and CMYK-to-RGB/L conversion of each is the reference. Before, both were refused.
/// </summary>
public class JpegCmykTests(ITestOutputHelper output)
{
    private const string Script = """
        import sys
        from PIL import Image
        src, out = sys.argv[1], sys.argv[2]
        if src.endswith(".cmyk"):
            w, h = int(sys.argv[3]), int(sys.argv[4])
            Image.frombytes("CMYK", (w, h), open(src, "rb").read()).save(out, quality=92)
        else:
            im = Image.open(src)
            im.load()
            assert im.mode == "CMYK", im.mode
            for mode in ("L", "RGB", "RGBA"):
                open(out + "." + mode, "wb").write(im.convert(mode).tobytes())
        """;

    private static byte[] CmykPixels(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 4; c++)
                    px[(y * w + x) * 4 + c] = (byte)Math.Clamp((c == 3 ? x * 2 : x * 3 + y * (c + 1) * 2) + rng.Next(-20, 21), 0, 255);
        return px;
    }

    private static unsafe byte[] Ycck(byte[] cmyk, int w, int h, int subsamp)
    {
        var tj = LibTurboJpeg.Compressor;
        byte* jpeg = null;
        CULong size = default;
        try
        {
            fixed (byte* src = cmyk)
                Assert.Equal(0, LibTurboJpeg.tjCompress2(tj, src, w, w * 4, h, LibTurboJpeg.TJPF_CMYK, &jpeg, &size, subsamp, 90, 0));
            return new ReadOnlySpan<byte>(jpeg, (int)size.Value).ToArray();
        }
        finally
        {
            if (jpeg is not null) LibTurboJpeg.tjFree(jpeg);
        }
    }

    [Fact]
    public unsafe void Cmyk_and_ycck_jpegs_decode_as_pillow_reads_them_in_every_mode()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cmyk-").FullName;
        try
        {
            var files = new List<(string Name, int W, int H, int Colorspace)>();
            const int w = 67, h = 45;
            byte[] cmyk = CmykPixels(w, h, 7);
            File.WriteAllBytes(Path.Combine(dir, "in.cmyk"), cmyk);
            PythonReference.Run(dir, Script, "Pillow could not write a CMYK JPEG", Path.Combine(dir, "in.cmyk"), Path.Combine(dir, "pillow.jpg"), $"{w}", $"{h}");
            files.Add(("pillow.jpg", w, h, LibTurboJpeg.TJCS_CMYK));
            File.WriteAllBytes(Path.Combine(dir, "ycck444.jpg"), Ycck(cmyk, w, h, LibTurboJpeg.TJSAMP_444));
            files.Add(("ycck444.jpg", w, h, LibTurboJpeg.TJCS_YCCK));
            File.WriteAllBytes(Path.Combine(dir, "ycck420.jpg"), Ycck(CmykPixels(48, 80, 9), 48, 80, LibTurboJpeg.TJSAMP_420));
            files.Add(("ycck420.jpg", 48, 80, LibTurboJpeg.TJCS_YCCK));

            foreach (var (name, fw, fh, colorspace) in files)
            {
                string path = Path.Combine(dir, name);
                byte[] bytes = File.ReadAllBytes(path);
                fixed (byte* src = bytes)
                {
                    LibTurboJpeg.tjDecompressHeader3(LibTurboJpeg.Decompressor, src, new CULong((nuint)bytes.Length), out _, out _, out _, out int cs);
                    Assert.Equal(colorspace, cs); // the files are what the test says they are
                }
                PythonReference.Run(dir, Script, "Pillow could not read the CMYK JPEG", path, path + ".ref");
                foreach (var mode in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
                {
                    using var image = Image.Decode(bytes, mode: mode);
                    Assert.Equal((fw, fh, mode), (image.Width, image.Height, image.Mode));
                    byte[] expected = File.ReadAllBytes(path + ".ref." + mode);
                    Assert.Equal(expected.Length, image.Span.Length);
                    int max = 0;
                    for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - image.Span[i]));
                    output.WriteLine($"{name} as {mode}: max |Sluice - Pillow| = {max}");
                    Assert.True(max == 0, $"{name} as {mode}: max difference {max} from Pillow");
                }
                using var shrunk = Image.Decode(bytes, shrinkTo: 20);
                Assert.Equal(((fw + 1) / 2, (fh + 1) / 2), (shrunk.Width, shrunk.Height)); // the 1/2 DCT scale works for CMYK too
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
