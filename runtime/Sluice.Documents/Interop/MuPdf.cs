using System.Runtime.InteropServices;

namespace Sluice.Interop;

/// <summary>
/// The sluice_mupdf shim (Native/sluice_mupdf.c): MuPDF's document, page and structured-text calls behind a C API
/// that catches MuPDF's own exceptions. Loaded through <see cref="NativeLibraries"/> under the logical name "sluice_mupdf";
/// scripts/setup-documents.sh builds it into native/linux-x64.
/// </summary>
internal static unsafe partial class MuPdf
{
    private const string Lib = "sluice_mupdf";

    /// <summary>The shim's library: built, not installed, so its install command is the set-up script.</summary>
    public static readonly NativeLibrarySpec Spec = new(Lib, "libsluice_mupdf.so",
        "bash scripts/setup-documents.sh (builds runtime/Sluice.Documents/Native/sluice_mupdf.c against Debian's libmupdf-dev into native/linux-x64)");

    static MuPdf() => NativeLibraries.Register(typeof(MuPdf).Assembly, Spec);

    /// <summary>Registers the library and the resolver for this assembly.</summary>
    public static void EnsureRegistered() { }

    /// <summary>What a call returns when the document ran past its memory limit (MuPDF's FZ_ERROR_MEMORY).</summary>
    public const int OutOfMemory = -3;

    /// <summary>Bytes for the messages the shim writes.</summary>
    public const int ErrorLength = 512;

    [LibraryImport(Lib, EntryPoint = "sl_version")]
    public static partial int Version();

    [LibraryImport(Lib, EntryPoint = "sl_open")]
    public static partial int Open(byte* data, nuint length, nuint memoryLimit, out nint document, byte* error, int errorLength);

    [LibraryImport(Lib, EntryPoint = "sl_needs_password")]
    public static partial int NeedsPassword(nint document);

    [LibraryImport(Lib, EntryPoint = "sl_page_count")]
    public static partial int PageCount(nint document, byte* error, int errorLength);

    [LibraryImport(Lib, EntryPoint = "sl_page_text")]
    public static partial int PageText(nint document, int index, out byte* text, out nuint length, byte* error, int errorLength);

    [LibraryImport(Lib, EntryPoint = "sl_abort")]
    public static partial void Abort(nint document);

    [LibraryImport(Lib, EntryPoint = "sl_memory_used")]
    public static partial nuint MemoryUsed(nint document);

    [LibraryImport(Lib, EntryPoint = "sl_close")]
    public static partial void Close(nint document);

    /// <summary>The message the shim wrote into <paramref name="error"/>.</summary>
    public static string Message(byte* error) => Marshal.PtrToStringUTF8((nint)error) is { Length: > 0 } m ? m : "unknown MuPDF error";
}
