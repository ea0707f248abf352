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

    [LibraryImport(Lib, EntryPoint = "sl_context_new")]
    public static partial nint ContextNew(nuint storeLimit);

    [LibraryImport(Lib, EntryPoint = "sl_context_memory")]
    public static partial nuint ContextMemory(nint context);

    [LibraryImport(Lib, EntryPoint = "sl_context_drop")]
    public static partial void ContextDrop(nint context);

    [LibraryImport(Lib, EntryPoint = "sl_open")]
    public static partial int Open(nint context, byte* data, nuint length, nuint memoryLimit, out nint document, byte* error, int errorLength);

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

    /// <summary>How much of earlier documents' resources a pooled context keeps (MuPDF's store).</summary>
    public const int StoreLimit = 32 << 20;

    private static readonly System.Collections.Concurrent.ConcurrentBag<nint> s_contexts = new();
    private static int s_pooled;

    /// <summary>A context for one document: a pooled one, so fonts stay loaded between documents, or a new one.</summary>
    public static nint RentContext()
    {
        if (s_contexts.TryTake(out var c)) { Interlocked.Decrement(ref s_pooled); return c; }
        c = ContextNew(StoreLimit);
        if (c == 0) throw new OutOfMemoryException("MuPDF could not make a context.");
        return c;
    }

    /// <summary>Gives a context back; beyond two a core the pool drops it.</summary>
    public static void ReturnContext(nint context)
    {
        if (Interlocked.Increment(ref s_pooled) <= 2 * Environment.ProcessorCount) s_contexts.Add(context);
        else { Interlocked.Decrement(ref s_pooled); ContextDrop(context); }
    }

    /// <summary>The message the shim wrote into <paramref name="error"/>.</summary>
    public static string Message(byte* error) => Marshal.PtrToStringUTF8((nint)error) is { Length: > 0 } m ? m : "unknown MuPDF error";
}
