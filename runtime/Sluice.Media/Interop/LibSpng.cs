using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Interop;

/// <summary>
/// libspng 0.7.x (Debian 12's libspng0 is 0.7.3; it exports spng_encode_image, so PNG encoding is supported).
/// Loaded through <see cref="NativeLibraries"/> under the logical name "spng".
/// </summary>
internal static unsafe partial class LibSpng
{
    private const string Lib = "spng";

    static LibSpng() => MediaLibraries.EnsureRegistered();

    // enum spng_ctx_flags
    internal const int SPNG_CTX_IGNORE_ADLER32 = 1;
    internal const int SPNG_CTX_ENCODER = 2;

    // enum spng_format
    internal const int SPNG_FMT_RGBA8 = 1;
    internal const int SPNG_FMT_RGBA16 = 2;
    internal const int SPNG_FMT_RGB8 = 4;
    internal const int SPNG_FMT_GA8 = 16;
    internal const int SPNG_FMT_G8 = 64;
    internal const int SPNG_FMT_PNG = 256;

    // enum spng_decode_flags
    internal const int SPNG_DECODE_TRNS = 1;

    // enum spng_encode_flags
    internal const int SPNG_ENCODE_FINALIZE = 2;

    // enum spng_color_type
    internal const byte SPNG_COLOR_TYPE_GRAYSCALE = 0;
    internal const byte SPNG_COLOR_TYPE_TRUECOLOR = 2;
    internal const byte SPNG_COLOR_TYPE_INDEXED = 3;
    internal const byte SPNG_COLOR_TYPE_GRAYSCALE_ALPHA = 4;
    internal const byte SPNG_COLOR_TYPE_TRUECOLOR_ALPHA = 6;

    // enum spng_option
    internal const int SPNG_IMG_COMPRESSION_LEVEL = 2;
    internal const int SPNG_CHUNK_COUNT_LIMIT = 11;
    internal const int SPNG_ENCODE_TO_BUFFER = 12;

    internal const int SPNG_OK = 0;

    /// <summary>struct spng_ihdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Ihdr
    {
        public uint Width;
        public uint Height;
        public byte BitDepth;
        public byte ColorType;
        public byte CompressionMethod;
        public byte FilterMethod;
        public byte InterlaceMethod;
    }

    [LibraryImport(Lib)]
    internal static partial SpngContext spng_ctx_new(int flags);

    [LibraryImport(Lib)]
    internal static partial void spng_ctx_free(IntPtr ctx);

    [LibraryImport(Lib)]
    internal static partial int spng_set_png_buffer(SpngContext ctx, byte* buf, nuint size);

    [LibraryImport(Lib)]
    internal static partial int spng_set_image_limits(SpngContext ctx, uint width, uint height);

    [LibraryImport(Lib)]
    internal static partial int spng_set_chunk_limits(SpngContext ctx, nuint chunkSize, nuint cacheSize);

    [LibraryImport(Lib)]
    internal static partial int spng_set_option(SpngContext ctx, int option, int value);

    [LibraryImport(Lib)]
    internal static partial int spng_get_ihdr(SpngContext ctx, out Ihdr ihdr);

    [LibraryImport(Lib)]
    internal static partial int spng_set_ihdr(SpngContext ctx, ref Ihdr ihdr);

    [LibraryImport(Lib)]
    internal static partial int spng_decoded_image_size(SpngContext ctx, int fmt, out nuint len);

    [LibraryImport(Lib)]
    internal static partial int spng_decode_image(SpngContext ctx, byte* output, nuint len, int fmt, int flags);

    [LibraryImport(Lib)]
    internal static partial int spng_encode_image(SpngContext ctx, byte* img, nuint len, int fmt, int flags);

    /// <summary>The encoded PNG; the caller frees it with the C library's free (<see cref="NativeMemory.Free"/>).</summary>
    [LibraryImport(Lib)]
    internal static partial byte* spng_get_png_buffer(SpngContext ctx, out nuint len, out int error);

    [LibraryImport(Lib)]
    internal static partial byte* spng_strerror(int err);

    /// <summary>The text for libspng error <paramref name="err"/>.</summary>
    internal static string ErrorString(int err)
    {
        var s = spng_strerror(err);
        return s is null ? $"error {err}" : Marshal.PtrToStringUTF8((IntPtr)s) ?? $"error {err}";
    }
}

/// <summary>An spng_ctx, freed with spng_ctx_free.</summary>
internal sealed class SpngContext : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (the marshaller fills it).</summary>
    public SpngContext() : base(ownsHandle: true) { }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        LibSpng.spng_ctx_free(handle);
        return true;
    }
}
