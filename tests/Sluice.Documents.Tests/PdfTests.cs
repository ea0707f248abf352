using Xunit;

namespace Sluice.Documents.Tests;

public sealed class PdfTests
{
    public static TheoryData<PdfEngine> Engines => new() { PdfEngine.MuPdf, PdfEngine.PdfPig };

    private static readonly string[] Sample =
    [
        "latex/natbib/natnotes.pdf", "latex/base/clsguide.pdf", "latex/hyperref/paper.pdf", "latex/base/lppl.pdf",
        "latex/amsmath/amsldoc.pdf",
    ];

    [Fact]
    public void MuPdf_shim_is_built_and_auto_uses_it()
    {
        Assert.True(Pdf.MuPdfAvailable, "native/linux-x64/libsluice_mupdf.so is missing: run scripts/setup-documents.sh");
        using var pdf = Pdf.Open(File.ReadAllBytes(Corpus.File(Sample[0])));
        Assert.Equal(PdfEngine.MuPdf, pdf.Engine);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void Page_counts_and_words_agree_with_poppler(PdfEngine engine)
    {
        foreach (var relative in Sample)
        {
            string path = Corpus.File(relative);
            using var blob = Blob.ReadFile(path);
            using var pdf = Pdf.Open(blob.Memory, relative, new PdfOptions { Engine = engine });
            int pages = Corpus.PopplerPages(path);
            Assert.Equal(pages, pdf.PageCount);
            foreach (int page in new[] { 1, (pages + 1) / 2, pages }.Distinct())
            {
                var ours = Corpus.Words(pdf.PageText(page));
                var poppler = Corpus.Words(Corpus.PopplerText(path, page));
                Assert.True(poppler.Count > 10, $"{relative} page {page}: poppler found only {poppler.Count} words");
                double shared = ours.Intersect(poppler).Count() / (double)ours.Union(poppler).Count();
                Assert.True(shared >= 0.8, $"{relative} page {page} ({engine}): {shared:P0} of the words shared with pdftotext ({ours.Count} against {poppler.Count})");
            }
        }
    }

    [Fact]
    public void MuPdf_text_keeps_lines_and_paragraphs()
    {
        using var pdf = Pdf.Open(File.ReadAllBytes(Corpus.File("latex/base/lppl.pdf")), options: new PdfOptions { Engine = PdfEngine.MuPdf });
        string text = pdf.PageText(1);
        Assert.Contains("Project Public License", text);
        Assert.Contains("\n\n", text);
        Assert.True(text.Split('\n').Length > 20);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void Bytes_that_are_no_PDF_fail_with_the_name(PdfEngine engine)
    {
        var html = "<html><body>Not found</body></html>"u8.ToArray();
        var e = Assert.Throws<PdfException>(() => Pdf.Open(html, "https://example.com/missing.pdf", new PdfOptions { Engine = engine }));
        Assert.Equal(PdfError.Damaged, e.Error);
        Assert.Contains("https://example.com/missing.pdf", e.Message);
        Assert.Throws<PdfException>(() => Pdf.Open(Array.Empty<byte>(), "empty.pdf", new PdfOptions { Engine = engine }));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_truncated_PDF_is_read_as_far_as_it_goes_or_fails_cleanly(PdfEngine engine)
    {
        var bytes = File.ReadAllBytes(Corpus.File("latex/amsmath/amsldoc.pdf"));
        foreach (double keep in new[] { 0.05, 0.5, 0.9 })
        {
            var cut = bytes.AsMemory(0, (int)(bytes.Length * keep));
            try
            {
                using var pdf = Pdf.Open(cut, "cut.pdf", new PdfOptions { Engine = engine });
                int read = 0;
                for (int p = 1; p <= pdf.PageCount; p++)
                {
                    try { pdf.PageText(p); read++; }
                    catch (PdfException e) { Assert.Contains("cut.pdf", e.Message); Assert.Contains($"page {p}", e.Message); }
                }
                Assert.True(read >= 0);
            }
            catch (PdfException e)
            {
                Assert.Contains("cut.pdf", e.Message);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void An_encrypted_PDF_says_so(PdfEngine engine)
    {
        string dir = Path.Combine(Path.GetTempPath(), "sluice-pdf-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        try
        {
            string locked = Path.Combine(dir, "locked.pdf");
            Corpus.Run("qpdf", "--encrypt", "secret", "owner", "256", "--", Corpus.File("latex/base/lppl.pdf"), locked);
            var e = Assert.Throws<PdfException>(() => Pdf.Open(File.ReadAllBytes(locked), "locked.pdf", new PdfOptions { Engine = engine }));
            Assert.Equal(PdfError.Encrypted, e.Error);
            Assert.Contains("locked.pdf", e.Message);
        }
        finally { System.IO.Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void More_pages_than_the_limit_fail_before_any_page_is_read(PdfEngine engine)
    {
        string path = Corpus.File("latex/amsmath/amsldoc.pdf");
        int pages = Corpus.PopplerPages(path);
        var e = Assert.Throws<PdfException>(() => Pdf.Open(File.ReadAllBytes(path), "amsldoc.pdf", new PdfOptions { Engine = engine, MaxPages = pages - 1 }));
        Assert.Equal(PdfError.TooManyPages, e.Error);
        Assert.Contains($"{pages} pages", e.Message);
        using var ok = Pdf.Open(File.ReadAllBytes(path), "amsldoc.pdf", new PdfOptions { Engine = engine, MaxPages = pages });
        Assert.Equal(pages, ok.PageCount);
    }

    [Fact]
    public void MuPdf_stops_a_document_past_its_memory_limit()
    {
        // The largest PDF of the corpus, with 2 MB for MuPDF: opening or reading its pages runs out, and says so.
        string path = System.IO.Directory.EnumerateFiles(Corpus.Directory(), "*.pdf", SearchOption.AllDirectories).MaxBy(f => new FileInfo(f).Length)!;
        var bytes = File.ReadAllBytes(path);
        var e = Assert.Throws<PdfException>(() =>
        {
            using var pdf = Pdf.Open(bytes, "big.pdf", new PdfOptions { Engine = PdfEngine.MuPdf, MemoryLimit = 2 << 20 });
            for (int p = 1; p <= pdf.PageCount; p++) pdf.PageText(p);
        });
        Assert.True(e.Error == PdfError.OutOfMemory, e.Message);
        Assert.Contains("big.pdf", e.Message);
        Assert.Contains("2 MB", e.Message);
        // The same document with the default limit reads.
        using var fine = Pdf.Open(bytes, "big.pdf", new PdfOptions { Engine = PdfEngine.MuPdf });
        Assert.NotEmpty(fine.PageText(1));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_document_past_its_time_limit_stops(PdfEngine engine)
    {
        var bytes = File.ReadAllBytes(Corpus.File("latex/amsmath/amsldoc.pdf"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<PdfException>(() =>
        {
            using var pdf = Pdf.Open(bytes, "slow.pdf", new PdfOptions { Engine = engine, Timeout = TimeSpan.FromMilliseconds(30) });
            for (int p = 1; p <= pdf.PageCount; p++) pdf.PageText(p);
        });
        Assert.Equal(PdfError.TimedOut, e.Error);
        Assert.Contains("slow.pdf", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
    }

    [Fact]
    public void Documents_read_on_several_threads_at_once_give_the_same_text()
    {
        var paths = Sample.Select(Corpus.File).ToArray();
        var expected = paths.Select(p => { using var pdf = Pdf.Open(File.ReadAllBytes(p)); return string.Join("\f", pdf.Pages().Select(x => x.Text)); }).ToArray();
        var actual = new string[paths.Length * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var pdf = Pdf.Open(File.ReadAllBytes(paths[i % paths.Length]));
            actual[i] = string.Join("\f", pdf.Pages().Select(x => x.Text));
        });
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i % paths.Length], actual[i]);
    }
}

public sealed class ReadPagesTests
{
    [Fact]
    public void ReadPages_yields_every_page_then_closes()
    {
        var bytes = File.ReadAllBytes(Corpus.File("latex/base/clsguide.pdf"));
        var pages = Pdf.ReadPages(bytes, "clsguide.pdf").ToList();
        Assert.Equal(Corpus.PopplerPages(Corpus.File("latex/base/clsguide.pdf")), pages.Count);
        Assert.Equal(Enumerable.Range(1, pages.Count), pages.Select(p => p.Number));
        Assert.All(pages, p => { Assert.Null(p.Error); Assert.Equal(pages.Count, p.PageCount); });
        Assert.Contains("documentclass", string.Concat(pages.Select(p => p.ThrowIfFailed())));
    }

    [Fact]
    public void Past_the_time_limit_the_last_page_carries_the_error_and_names_the_pages_not_read()
    {
        var bytes = File.ReadAllBytes(Corpus.File("latex/amsmath/amsldoc.pdf"));
        var pages = Pdf.ReadPages(bytes, "amsldoc.pdf", new PdfOptions { Timeout = TimeSpan.FromMilliseconds(40) }).ToList();
        var last = pages[^1];
        Assert.NotNull(last.Error);
        Assert.Equal(PdfError.TimedOut, last.Error!.Error);
        Assert.True(pages.Count < last.PageCount);
        Assert.Contains($"Pages {last.Number}-{last.PageCount} were not read", last.Error.Message);
        Assert.All(pages[..^1], p => Assert.Null(p.Error));
        var thrown = Assert.Throws<PdfException>(() => last.ThrowIfFailed());
        Assert.Same(last.Error, thrown);
    }

    [Fact]
    public void A_document_that_cannot_be_opened_throws_at_once()
    {
        Assert.Throws<PdfException>(() => Pdf.ReadPages("%PDF-1.4 garbage"u8.ToArray(), "bad.pdf"));
    }
}

public sealed class PageFailureTests
{
    // A two-page PDF whose page tree lists its own root as the second page: page 1 is fine, page 2 a cycle.
    internal static byte[] CyclicSecondPage()
    {
        const string content = "BT /F1 12 Tf 20 100 Td (Hello from page one) Tj ET";
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {content.Length} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ];
        var pdf = new System.Text.StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (int i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append($"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        int xref = pdf.Length;
        pdf.Append($"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (int o in offsets) pdf.Append($"{o:D10} 00000 n \n");
        pdf.Append($"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return System.Text.Encoding.ASCII.GetBytes(pdf.ToString());
    }

    [Fact]
    public void A_page_that_fails_fails_alone_and_the_other_pages_are_read()
    {
        var pages = Pdf.ReadPages(CyclicSecondPage(), "cyclic.pdf", new PdfOptions { Engine = PdfEngine.MuPdf }).ToList();
        Assert.Equal(2, pages.Count);
        Assert.Null(pages[0].Error);
        Assert.Contains("Hello from page one", pages[0].ThrowIfFailed());
        var error = Assert.Throws<PdfException>(() => pages[1].ThrowIfFailed());
        Assert.Equal(PdfError.PageFailed, error.Error);
        Assert.Contains("'cyclic.pdf' page 2 of 2", error.Message);
        Assert.Contains("cycle", error.Message);
    }
}
