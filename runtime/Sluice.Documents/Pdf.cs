using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Sluice.Interop;
using PigDocument = UglyToad.PdfPig.PdfDocument;
using PigTextExtractor = UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor.ContentOrderTextExtractor;

namespace Sluice.Documents;

/// <summary>Which library reads the PDF.</summary>
public enum PdfEngine
{
    /// <summary>MuPDF when its shim is built (scripts/setup-documents.sh), else PdfPig.</summary>
    Auto,
    /// <summary>MuPDF through the sluice_mupdf shim: about 3x poppler and PdfPig on the same pages (docs/documents.md).</summary>
    MuPdf,
    /// <summary>PdfPig, in managed code: no native library, works under NativeAOT and on every platform.</summary>
    PdfPig,
}

/// <summary>Limits for reading one PDF.</summary>
public sealed record PdfOptions
{
    /// <summary>The defaults below.</summary>
    public static PdfOptions Default { get; } = new();

    /// <summary>Documents with more pages fail with <see cref="PdfError.TooManyPages"/> before any page is read. 0: no limit (the default).</summary>
    public int MaxPages { get; init; }

    /// <summary>
    /// How long one document may take, from open to its last page (default 60 s). With MuPDF a page still running at
    /// the deadline is stopped mid-page; with PdfPig the deadline is checked between pages.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The most memory MuPDF may hold for one document (default 256 MB): past it the document fails with <see cref="PdfError.OutOfMemory"/>. 0: no limit.</summary>
    public long MemoryLimit { get; init; } = 256L << 20;

    /// <summary>Which library reads the document (default <see cref="PdfEngine.Auto"/>).</summary>
    public PdfEngine Engine { get; init; }
}

/// <summary>Why a PDF could not be read.</summary>
public enum PdfError
{
    /// <summary>Not a PDF, or too damaged to open.</summary>
    Damaged,
    /// <summary>Encrypted with a password.</summary>
    Encrypted,
    /// <summary>More pages than <see cref="PdfOptions.MaxPages"/>.</summary>
    TooManyPages,
    /// <summary>Took longer than <see cref="PdfOptions.Timeout"/>.</summary>
    TimedOut,
    /// <summary>Needed more than <see cref="PdfOptions.MemoryLimit"/>.</summary>
    OutOfMemory,
    /// <summary>One page could not be read.</summary>
    PageFailed,
}

/// <summary>A PDF that could not be read; the message names the document, the page where there is one, and the reason.</summary>
public sealed class PdfException : Exception
{
    /// <summary>Makes one.</summary>
    public PdfException(PdfError error, string message, Exception? inner = null) : base(message, inner) => Error = error;

    /// <summary>The kind of failure.</summary>
    public PdfError Error { get; }
}

/// <summary>
/// One page's text: its number (from 1), the document's page count, and the text (lines end with '\n', blocks with an
/// empty line). From <see cref="Pdf.ReadPages"/>, a page that could not be read has an empty text and its
/// <see cref="Error"/>; <see cref="ThrowIfFailed"/> turns it into the row's error.
/// </summary>
public sealed record PdfPage(int Number, int PageCount, string Text, PdfException? Error = null)
{
    /// <summary>The text, or the page's error thrown.</summary>
    public string ThrowIfFailed() => Error is null ? Text : throw Error;
}

/// <summary>
/// An open PDF: its page count and each page's text. Opened from bytes the caller keeps alive until
/// <see cref="Dispose"/> (a <see cref="Blob"/>'s memory: MuPDF reads it in place, nothing is copied). Not thread-safe:
/// one thread reads one document's pages.
/// </summary>
public sealed unsafe class Pdf : IDisposable
{
    private static readonly Lazy<bool> s_muPdf = new(() =>
    {
        MuPdf.EnsureRegistered();
        return NativeLibraries.IsAvailable("sluice_mupdf");
    });

    private readonly string _name;
    private readonly PdfOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();
    private MemoryHandle _pin;
    private nint _mu;
    private nint _context;
    private Timer? _deadline;
    private PigDocument? _pig;
    private bool _aborted;

    /// <summary>Whether the MuPDF shim can be loaded here (<see cref="PdfEngine.Auto"/> uses it when it can).</summary>
    public static bool MuPdfAvailable => s_muPdf.Value;

    /// <summary>The library that reads this document.</summary>
    public PdfEngine Engine { get; }

    /// <summary>The number of pages.</summary>
    public int PageCount { get; private set; }

    private Pdf(string name, PdfOptions options, PdfEngine engine)
    {
        _name = name;
        _options = options;
        Engine = engine;
    }

    /// <summary>
    /// Opens a PDF from <paramref name="bytes"/> (kept alive by the caller until <see cref="Dispose"/>);
    /// <paramref name="name"/> (a URL or path) is what error messages call it.
    /// </summary>
    /// <exception cref="PdfException">Not a PDF or too damaged to open, encrypted, over <see cref="PdfOptions.MaxPages"/> or <see cref="PdfOptions.MemoryLimit"/>.</exception>
    public static Pdf Open(ReadOnlyMemory<byte> bytes, string name = "PDF", PdfOptions? options = null)
    {
        options ??= PdfOptions.Default;
        if (options.MaxPages < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxPages cannot be negative.");
        if (options.MemoryLimit < 0) throw new ArgumentOutOfRangeException(nameof(options), "MemoryLimit cannot be negative.");
        var engine = options.Engine switch
        {
            PdfEngine.Auto => MuPdfAvailable ? PdfEngine.MuPdf : PdfEngine.PdfPig,
            var e => e,
        };
        if (engine == PdfEngine.MuPdf && !MuPdfAvailable) NativeLibraries.Load(MuPdf.Spec.Name); // throws, saying how to build it
        if (bytes.IsEmpty) throw new PdfException(PdfError.Damaged, $"'{name}' is empty (0 bytes); it is not a PDF.");
        var pdf = new Pdf(name, options, engine);
        try
        {
            int pages = engine == PdfEngine.MuPdf ? pdf.OpenMuPdf(bytes) : pdf.OpenPdfPig(bytes);
            if (pages == 0)
                throw new PdfException(PdfError.Damaged, $"'{name}' has no pages that can be found (truncated or damaged: {bytes.Length:N0} bytes).");
            if (options.MaxPages > 0 && pages > options.MaxPages)
                throw new PdfException(PdfError.TooManyPages, $"'{name}' has {pages:N0} pages, more than the limit of {options.MaxPages:N0}.");
            pdf.PageCount = pages;
            return pdf;
        }
        catch (PdfException e) when (e.Error == PdfError.Damaged && NoHeader(bytes.Span) is { } start)
        {
            pdf.Dispose();
            throw new PdfException(PdfError.Damaged, $"'{name}' is not a PDF: no %PDF- header in its first 1,024 bytes, which begin \"{start}\" ({e.Message})", e);
        }
        catch
        {
            pdf.Dispose();
            throw;
        }
    }

    // The first bytes, printable, when no "%PDF-" is among the first 1,024 (readers accept junk before the header).
    private static string? NoHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes[..Math.Min(bytes.Length, 1024)].IndexOf("%PDF-"u8) >= 0) return null;
        var start = bytes[..Math.Min(bytes.Length, 40)];
        var text = new StringBuilder(start.Length);
        foreach (byte b in start) text.Append(b is >= 32 and < 127 ? (char)b : '.');
        return text.ToString();
    }

    private int OpenMuPdf(ReadOnlyMemory<byte> bytes)
    {
        byte* error = stackalloc byte[MuPdf.ErrorLength];
        error[0] = 0;
        _pin = bytes.Pin();
        _context = MuPdf.RentContext();
        int rc = MuPdf.Open(_context, (byte*)_pin.Pointer, (nuint)bytes.Length, (nuint)_options.MemoryLimit, out _mu, error, MuPdf.ErrorLength);
        if (rc != 0) throw Fail(MuPdf.Message(error), null, opening: true, rc == MuPdf.OutOfMemory);
        if (MuPdf.NeedsPassword(_mu) != 0)
            throw new PdfException(PdfError.Encrypted, $"'{_name}' is encrypted with a password; it cannot be read.");
        int pages = MuPdf.PageCount(_mu, error, MuPdf.ErrorLength);
        if (pages < 0) throw Fail(MuPdf.Message(error), null, opening: true, pages == MuPdf.OutOfMemory);
        if (_options.Timeout > TimeSpan.Zero && _options.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
            _deadline = new Timer(static state => ((Pdf)state!).AbortMuPdf(), this, _options.Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        return pages;
    }

    private int OpenPdfPig(ReadOnlyMemory<byte> bytes)
    {
        byte[] array = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array : bytes.ToArray();
        try { _pig = PigDocument.Open(array); }
        catch (Exception e) when (e.GetType().Name.Contains("Encrypt", StringComparison.Ordinal))
        {
            throw new PdfException(PdfError.Encrypted, $"'{_name}' is encrypted with a password; it cannot be read ({e.Message}).", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new PdfException(PdfError.Damaged, $"'{_name}' cannot be opened as a PDF: {e.Message}", e);
        }
        return _pig.NumberOfPages;
    }

    private void AbortMuPdf()
    {
        lock (_lock)
        {
            if (_mu == 0) return;
            _aborted = true;
            MuPdf.Abort(_mu);
        }
    }

    /// <summary>The text of page <paramref name="number"/> (from 1).</summary>
    /// <exception cref="PdfException">The page cannot be read, or the document ran past its time or memory limit.</exception>
    public string PageText(int number)
    {
        ObjectDisposedException.ThrowIf(_mu == 0 && _pig is null, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, PageCount);
        CheckTime(number);
        if (Engine == PdfEngine.PdfPig)
        {
            try { return PigTextExtractor.GetText(_pig!.GetPage(number)); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new PdfException(PdfError.PageFailed, $"'{_name}' page {number} of {PageCount}: {e.Message}", e);
            }
        }
        byte* error = stackalloc byte[MuPdf.ErrorLength];
        error[0] = 0;
        int rc = MuPdf.PageText(_mu, number - 1, out byte* text, out nuint length, error, MuPdf.ErrorLength);
        if (rc == -2 || _aborted) throw TimedOut(number);
        if (rc != 0) throw Fail(MuPdf.Message(error), number, opening: false, rc == MuPdf.OutOfMemory);
        return Encoding.UTF8.GetString(text, checked((int)length));
    }

    /// <summary>
    /// The pages of a document for an explode stage: opens it (a document that cannot be opened, is encrypted or has
    /// more than <see cref="PdfOptions.MaxPages"/> throws, failing the document's row), then yields every page in order.
    /// A page that cannot be read comes as a page with its <see cref="PdfPage.Error"/>, and the next page is tried; past
    /// the time or memory limit, one last page carries the error, naming the pages not read. So one bad page fails one row.
    /// </summary>
    public static IEnumerable<PdfPage> ReadPages(ReadOnlyMemory<byte> bytes, string name, PdfOptions? options = null)
    {
        var pdf = Open(bytes, name, options);
        return Read(pdf);

        static IEnumerable<PdfPage> Read(Pdf pdf)
        {
            using (pdf)
            {
                for (int i = 1; i <= pdf.PageCount; i++)
                {
                    PdfPage page;
                    bool stop = false;
                    try { page = new PdfPage(i, pdf.PageCount, pdf.PageText(i)); }
                    catch (PdfException e) when (e.Error == PdfError.PageFailed) { page = new PdfPage(i, pdf.PageCount, "", e); }
                    catch (PdfException e)
                    {
                        var rest = new PdfException(e.Error, i == pdf.PageCount ? e.Message : $"{e.Message} Pages {i}-{pdf.PageCount} were not read.", e);
                        page = new PdfPage(i, pdf.PageCount, "", rest);
                        stop = true;
                    }
                    yield return page;
                    if (stop) yield break;
                }
            }
        }
    }

    /// <summary>Every page in order.</summary>
    public IEnumerable<PdfPage> Pages()
    {
        for (int i = 1; i <= PageCount; i++) yield return new PdfPage(i, PageCount, PageText(i));
    }

    private void CheckTime(int number)
    {
        if (_options.Timeout > TimeSpan.Zero && _clock.Elapsed > _options.Timeout) throw TimedOut(number);
    }

    private PdfException TimedOut(int number) =>
        new(PdfError.TimedOut, $"'{_name}' took longer than the limit of {_options.Timeout.TotalSeconds:0.#} s (stopped at page {number} of {PageCount}).");

    private PdfException Fail(string message, int? page, bool opening, bool outOfMemory)
    {
        if (outOfMemory)
            return new PdfException(PdfError.OutOfMemory,
                $"'{_name}'{(page is { } p ? $" page {p}" : "")} needed more than the limit of {_options.MemoryLimit / (1 << 20):N0} MB ({message}).");
        if (opening) return new PdfException(PdfError.Damaged, $"'{_name}' cannot be opened as a PDF: {message}.");
        return new PdfException(PdfError.PageFailed, $"'{_name}' page {page} of {PageCount}: {message}.");
    }

    /// <summary>Closes the document and unpins its bytes.</summary>
    public void Dispose()
    {
        _deadline?.Dispose();
        lock (_lock)
        {
            if (_mu != 0) MuPdf.Close(_mu);
            _mu = 0;
            if (_context != 0) MuPdf.ReturnContext(_context);
            _context = 0;
        }
        _pig?.Dispose();
        _pig = null;
        _pin.Dispose();
        _pin = default;
    }
}
