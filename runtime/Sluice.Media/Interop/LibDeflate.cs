using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Interop;

/// <summary>
/// libdeflate (Debian's libdeflate0, 1.14 on Debian 12): whole-buffer zlib decompression and CRC-32 for the
/// PNG fast path (<see cref="Sluice.Media.PngFastPath"/>). Loaded through <see cref="NativeLibraries"/> under
/// the logical name "deflate".
/// </summary>
internal static unsafe partial class LibDeflate
{
    private const string Lib = "deflate";

    static LibDeflate() => MediaLibraries.EnsureRegistered();

    // enum libdeflate_result
    internal const int LIBDEFLATE_SUCCESS = 0;
    internal const int LIBDEFLATE_BAD_DATA = 1;
    internal const int LIBDEFLATE_SHORT_OUTPUT = 2;
    internal const int LIBDEFLATE_INSUFFICIENT_SPACE = 3;

    [LibraryImport(Lib)]
    internal static partial DeflateDecompressor libdeflate_alloc_decompressor();

    [LibraryImport(Lib)]
    internal static partial void libdeflate_free_decompressor(IntPtr decompressor);

    /// <summary>Decompresses a whole zlib stream (header, DEFLATE data, Adler-32 checked).</summary>
    [LibraryImport(Lib)]
    internal static partial int libdeflate_zlib_decompress(DeflateDecompressor decompressor, byte* input, nuint inputBytes,
        byte* output, nuint outputBytesAvailable, nuint* actualOutputBytes);

    /// <summary>CRC-32 (the PNG and gzip polynomial) of <paramref name="length"/> bytes, continuing from <paramref name="crc"/> (0 to start).</summary>
    [LibraryImport(Lib)]
    internal static partial uint libdeflate_crc32(uint crc, byte* buffer, nuint length);

    [ThreadStatic] private static DeflateDecompressor? t_decompressor;

    /// <summary>This thread's decompressor (one is not thread-safe; it holds no state between calls).</summary>
    internal static DeflateDecompressor Decompressor
    {
        get
        {
            var d = t_decompressor;
            if (d is not null) return d;
            d = libdeflate_alloc_decompressor();
            if (d.IsInvalid) throw new InvalidOperationException("libdeflate could not allocate a decompressor (out of memory?).");
            return t_decompressor = d;
        }
    }
}

/// <summary>A libdeflate_decompressor, freed with libdeflate_free_decompressor.</summary>
internal sealed class DeflateDecompressor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (the marshaller fills it).</summary>
    public DeflateDecompressor() : base(ownsHandle: true) { }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        LibDeflate.libdeflate_free_decompressor(handle);
        return true;
    }
}
