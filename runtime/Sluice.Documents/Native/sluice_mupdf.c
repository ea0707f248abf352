/* sluice_mupdf: the few calls Sluice.Documents makes into MuPDF (Debian's libmupdf-dev, linked statically), behind a
 * plain C API that P/Invoke can call without MuPDF's setjmp-based exceptions crossing into .NET. Every call catches
 * MuPDF's errors itself and reports them as a negative return and a message.
 *
 * A context (fz_context with its own allocator) serves one document at a time and is reused for the next, so fonts
 * stay cached as in one PyMuPDF process.
 * Its allocator counts the bytes the open document adds and refuses past a limit (a PDF bomb fails with "out of
 * memory" instead of taking the process). Each document has an fz_cookie, whose abort flag another thread may set
 * (a time limit) to stop a page mid-run. Built by scripts/setup-documents.sh. */
#include <mupdf/fitz.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
    size_t used;  /* bytes the context holds now */
    size_t base;  /* what it held when the current document was opened (its cache of earlier documents' fonts) */
    size_t limit; /* the most the current document may add; 0: no limit */
} sl_budget;

/* A context with its allocator: reused document after document (by one document at a time), so the fonts and glyphs
 * MuPDF caches stay loaded, as in one PyMuPDF process. */
typedef struct
{
    fz_context *ctx;
    sl_budget budget;
} sl_context;

typedef struct
{
    sl_context *owner;
    fz_context *ctx;
    fz_stream *stream;
    fz_document *doc;
    fz_buffer *text;
    fz_cookie cookie;
} sl_doc;

static int sl_over(sl_budget *b, size_t more)
{
    return b->limit != 0 && b->used + more > b->base + b->limit;
}

/* Each block carries its size in a 16-byte header, so realloc and free can keep the count. */
#define SL_HEADER 16

static void *sl_malloc(void *opaque, size_t size)
{
    sl_budget *b = opaque;
    if (sl_over(b, size)) return NULL;
    unsigned char *p = malloc(size + SL_HEADER);
    if (!p) return NULL;
    *(size_t *)p = size;
    b->used += size;
    return p + SL_HEADER;
}

static void sl_free(void *opaque, void *ptr)
{
    if (!ptr) return;
    sl_budget *b = opaque;
    unsigned char *p = (unsigned char *)ptr - SL_HEADER;
    b->used -= *(size_t *)p;
    free(p);
}

static void *sl_realloc(void *opaque, void *old, size_t size)
{
    if (!old) return sl_malloc(opaque, size);
    if (size == 0) { sl_free(opaque, old); return NULL; }
    sl_budget *b = opaque;
    unsigned char *p = (unsigned char *)old - SL_HEADER;
    size_t before = *(size_t *)p;
    if (size > before && sl_over(b, size - before)) return NULL;
    unsigned char *q = realloc(p, size + SL_HEADER);
    if (!q) return NULL;
    *(size_t *)q = size;
    b->used = b->used - before + size;
    return q + SL_HEADER;
}

static void sl_message(const char *text, char *error, int error_length)
{
    if (!error || error_length <= 0) return;
    strncpy(error, text ? text : "unknown MuPDF error", (size_t)error_length - 1);
    error[error_length - 1] = 0;
}

/* Silence MuPDF's own warnings and errors on stderr: the caller reports them, once, with the input's name. */
static void sl_quiet(void *user, const char *message) { (void)user; (void)message; }

int sl_version(void) { return 1; }

/* Return codes: 0 done, -1 failed (the message says why), -2 stopped by sl_abort, -3 out of the memory limit. */

/* A context whose cache (the store) keeps at most store_limit bytes of earlier documents' resources. NULL: out of memory. */
sl_context *sl_context_new(size_t store_limit)
{
    sl_context *c = calloc(1, sizeof(sl_context));
    if (!c) return NULL;
    fz_alloc_context alloc = { &c->budget, sl_malloc, sl_realloc, sl_free };
    c->ctx = fz_new_context(&alloc, NULL, store_limit);
    if (!c->ctx) { free(c); return NULL; }
    fz_set_warning_callback(c->ctx, sl_quiet, NULL);
    fz_set_error_callback(c->ctx, sl_quiet, NULL);
    int ok = 1;
    fz_try(c->ctx) { fz_register_document_handlers(c->ctx); }
    fz_catch(c->ctx) { ok = 0; }
    if (!ok) { fz_drop_context(c->ctx); free(c); return NULL; }
    return c;
}

/* The bytes the context holds now (its cache included). */
size_t sl_context_memory(sl_context *c) { return c->budget.used; }

void sl_context_drop(sl_context *c)
{
    if (!c) return;
    fz_drop_context(c->ctx);
    free(c);
}

/* Opens a PDF from memory the caller keeps alive until sl_close, in context c (one open document a context at a time).
 * memory_limit: the most this document may add to what the context holds (0: no limit). Returns 0 and *out, or -1 or
 * -3 with a message. */
int sl_open(sl_context *c, const unsigned char *data, size_t length, size_t memory_limit, sl_doc **out, char *error, int error_length)
{
    *out = NULL;
    sl_doc *d = calloc(1, sizeof(sl_doc));
    if (!d) { sl_message("out of memory", error, error_length); return -3; }
    d->owner = c;
    d->ctx = c->ctx;
    c->budget.base = c->budget.used;
    c->budget.limit = memory_limit;
    int rc = 0;
    fz_try(d->ctx)
    {
        d->stream = fz_open_memory(d->ctx, data, length);
        d->doc = fz_open_document_with_stream(d->ctx, "application/pdf", d->stream);
    }
    fz_catch(d->ctx)
    {
        sl_message(fz_caught_message(d->ctx), error, error_length);
        rc = fz_caught(d->ctx) == FZ_ERROR_MEMORY ? -3 : -1;
    }
    if (rc != 0)
    {
        fz_drop_document(d->ctx, d->doc);
        fz_drop_stream(d->ctx, d->stream);
        c->budget.limit = 0;
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

/* 1 when the document is encrypted with a password Sluice does not have. */
int sl_needs_password(sl_doc *d)
{
    int needs = 0;
    fz_try(d->ctx) { needs = fz_needs_password(d->ctx, d->doc); }
    fz_catch(d->ctx) { needs = 1; }
    return needs;
}

/* The page count, or -1 or -3 with a message. */
int sl_page_count(sl_doc *d, char *error, int error_length)
{
    int n = -1;
    fz_try(d->ctx) { n = fz_count_pages(d->ctx, d->doc); }
    fz_catch(d->ctx) { sl_message(fz_caught_message(d->ctx), error, error_length); n = fz_caught(d->ctx) == FZ_ERROR_MEMORY ? -3 : -1; }
    return n;
}

/* The text of page `index` (0-based) as UTF-8, lines ended by '\n' and blocks by an empty line. The bytes stay valid
 * until the next sl_page_text or sl_close. Returns 0, -1 or -3 with a message, or -2 when sl_abort stopped it. */
int sl_page_text(sl_doc *d, int index, const unsigned char **text, size_t *length, char *error, int error_length)
{
    fz_context *ctx = d->ctx;
    fz_page *page = NULL;
    fz_stext_page *stext = NULL;
    fz_device *device = NULL;
    int rc = 0;
    *text = NULL;
    *length = 0;
    fz_drop_buffer(ctx, d->text);
    d->text = NULL;
    fz_var(page);
    fz_var(stext);
    fz_var(device);
    fz_try(ctx)
    {
        page = fz_load_page(ctx, d->doc, index);
        stext = fz_new_stext_page(ctx, fz_bound_page(ctx, page));
        /* Ligatures expanded (a tokenizer knows "fi", not U+FB01), characters outside the page's media box dropped
         * (PyMuPDF's default too). */
        fz_stext_options options = { FZ_STEXT_MEDIABOX_CLIP };
        device = fz_new_stext_device(ctx, stext, &options);
        fz_run_page(ctx, page, device, fz_identity, &d->cookie);
        fz_close_device(ctx, device);
        if (d->cookie.abort) fz_throw(ctx, FZ_ERROR_ABORT, "aborted");
        d->text = fz_new_buffer_from_stext_page(ctx, stext);
        unsigned char *bytes = NULL;
        *length = fz_buffer_storage(ctx, d->text, &bytes);
        *text = bytes;
    }
    fz_always(ctx)
    {
        fz_drop_device(ctx, device);
        fz_drop_stext_page(ctx, stext);
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx)
    {
        rc = d->cookie.abort ? -2 : fz_caught(ctx) == FZ_ERROR_MEMORY ? -3 : -1;
        sl_message(fz_caught_message(ctx), error, error_length);
    }
    return rc;
}

/* Asks a page run in progress (on another thread) to stop; later sl_page_text calls fail with -2. */
void sl_abort(sl_doc *d) { d->cookie.abort = 1; }

/* The bytes this document added to its context. */
size_t sl_memory_used(sl_doc *d) { return d->owner->budget.used - d->owner->budget.base; }

void sl_close(sl_doc *d)
{
    if (!d) return;
    fz_drop_buffer(d->ctx, d->text);
    fz_drop_document(d->ctx, d->doc);
    fz_drop_stream(d->ctx, d->stream);
    d->owner->budget.limit = 0;
    /* What the document left in the store is of no use to the next one: a context waiting in the pool holds only its
     * fonts and glyph cache. */
    fz_empty_store(d->ctx);
    free(d);
}
