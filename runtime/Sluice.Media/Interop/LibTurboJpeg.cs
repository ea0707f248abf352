using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Interop;

/// <summary>
/// The TurboJPEG API of libjpeg-turbo 2.x (Debian 12's libturbojpeg0 is 2.1.5: the tj* functions, no tj3*).
/// Loaded through <see cref="NativeLibraries"/> under the logical name "turbojpeg".
/// </summary>
internal static unsafe partial class LibTurboJpeg
{
    private const string Lib = "turbojpeg";

    static LibTurboJpeg() => MediaLibraries.EnsureRegistered();

    // enum TJPF
    internal const int TJPF_RGB = 0;
    internal const int TJPF_GRAY = 6;
    internal const int TJPF_RGBA = 7;
    internal const int TJPF_CMYK = 11;

    // enum TJSAMP
    internal const int TJSAMP_444 = 0;
    internal const int TJSAMP_422 = 1;
    internal const int TJSAMP_420 = 2;
    internal const int TJSAMP_GRAY = 3;

    // enum TJCS
    internal const int TJCS_RGB = 0;
    internal const int TJCS_YCbCr = 1;
    internal const int TJCS_GRAY = 2;
    internal const int TJCS_CMYK = 3;
    internal const int TJCS_YCCK = 4;

    // flags
    internal const int TJFLAG_NOREALLOC = 1024;
    internal const int TJFLAG_FASTDCT = 2048;
    internal const int TJFLAG_ACCURATEDCT = 4096;
    internal const int TJFLAG_STOPONWARNING = 8192;
    internal const int TJFLAG_PROGRESSIVE = 16384;
    internal const int TJFLAG_LIMITSCANS = 32768;

    // enum TJERR
    internal const int TJERR_WARNING = 0;
    internal const int TJERR_FATAL = 1;

    /// <summary>tjscalingfactor: a DCT scaling factor num/denom.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ScalingFactor
    {
        public int Num;
        public int Denom;

        /// <summary>TJSCALED: a dimension scaled by this factor (rounded up).</summary>
        public readonly int Scale(int dimension) => (int)(((long)dimension * Num + Denom - 1) / Denom);
    }

    [LibraryImport(Lib)]
    internal static partial TurboJpegHandle tjInitCompress();

    [LibraryImport(Lib)]
    internal static partial TurboJpegHandle tjInitDecompress();

    [LibraryImport(Lib)]
    internal static partial int tjDestroy(IntPtr handle);

    [LibraryImport(Lib)]
    internal static partial int tjDecompressHeader3(TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(Lib)]
    internal static partial ScalingFactor* tjGetScalingFactors(out int numScalingFactors);

    [LibraryImport(Lib)]
    internal static partial int tjDecompress2(TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize, byte* dstBuf,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Lib)]
    internal static partial int tjCompress2(TurboJpegHandle handle, byte* srcBuf, int width, int pitch, int height,
        int pixelFormat, byte** jpegBuf, CULong* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Lib)]
    internal static partial CULong tjBufSize(int width, int height, int jpegSubsamp);

    [LibraryImport(Lib)]
    internal static partial void tjFree(byte* buffer);

    [LibraryImport(Lib)]
    internal static partial byte* tjGetErrorStr2(TurboJpegHandle handle);

    [LibraryImport(Lib)]
    internal static partial int tjGetErrorCode(TurboJpegHandle handle);

    /// <summary>The last error of <paramref name="handle"/> as text.</summary>
    internal static string ErrorString(TurboJpegHandle handle)
    {
        var s = tjGetErrorStr2(handle);
        return s is null ? "unknown error" : Marshal.PtrToStringUTF8((IntPtr)s) ?? "unknown error";
    }

    private static ScalingFactor[]? s_factors;

    /// <summary>The DCT scaling factors the library supports (tjGetScalingFactors), cached.</summary>
    internal static ScalingFactor[] ScalingFactors
    {
        get
        {
            if (s_factors is not null) return s_factors;
            var p = tjGetScalingFactors(out int n);
            if (p is null || n <= 0) return s_factors = [new ScalingFactor { Num = 1, Denom = 1 }];
            return s_factors = new ReadOnlySpan<ScalingFactor>(p, n).ToArray();
        }
    }

    [ThreadStatic] private static TurboJpegHandle? t_decompressor;
    [ThreadStatic] private static TurboJpegHandle? t_compressor;

    /// <summary>This thread's decompressor (a tjhandle is not thread-safe; one per thread is reused).</summary>
    internal static TurboJpegHandle Decompressor => t_decompressor ??= Check(tjInitDecompress(), "tjInitDecompress");

    /// <summary>
    /// Drops this thread's decompressor after an error: libjpeg-turbo 2.1 can leave a handle that failed
    /// mid-stream in a state that breaks the next image ("Bogus Huffman table definition").
    /// </summary>
    internal static void ResetDecompressor()
    {
        t_decompressor?.Dispose();
        t_decompressor = null;
    }

    /// <summary>Drops this thread's compressor after an error.</summary>
    internal static void ResetCompressor()
    {
        t_compressor?.Dispose();
        t_compressor = null;
    }

    /// <summary>This thread's compressor.</summary>
    internal static TurboJpegHandle Compressor => t_compressor ??= Check(tjInitCompress(), "tjInitCompress");

    private static TurboJpegHandle Check(TurboJpegHandle h, string what)
    {
        if (h.IsInvalid) throw new InvalidOperationException($"{what} failed: libjpeg-turbo could not create a handle.");
        return h;
    }
}

/// <summary>A TurboJPEG tjhandle, destroyed with tjDestroy.</summary>
internal sealed class TurboJpegHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (the marshaller fills it).</summary>
    public TurboJpegHandle() : base(ownsHandle: true) { }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => LibTurboJpeg.tjDestroy(handle) == 0;
}
