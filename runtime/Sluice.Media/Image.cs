namespace Sluice.Media;

/// <summary>How an <see cref="Image"/> stores a pixel; the value is the number of 8-bit channels.</summary>
public enum PixelMode
{
    /// <summary>One channel: luminance (grayscale).</summary>
    L = 1,

    /// <summary>Three channels: red, green, blue.</summary>
    RGB = 3,

    /// <summary>Four channels: red, green, blue, alpha.</summary>
    RGBA = 4,
}

/// <summary>
/// An 8-bit image in interleaved rows (no padding: <see cref="Stride"/> is width × channels) over a
/// pooled <see cref="Blob"/>, so its pixels are counted by the run's <see cref="MemoryBudget"/>.
/// The pipeline disposes it after its last reader; disposing returns the memory.
/// </summary>
public sealed partial class Image : IDisposable
{
    private readonly Blob _pixels;

    /// <summary>
    /// The warning the decoder gave for a file it read whole anyway (for JPEG: stray bytes between segments,
    /// "extraneous bytes before marker"; for PNG: chunks outside the spec that were ignored, such as a PLTE of
    /// 4 bytes or gAMA after IDAT), or null. The same for every target mode. Files with warnings that lose data (a truncated file) fail instead.
    /// </summary>
    public string? DecodeWarning { get; internal set; }

    private Image(Blob pixels, int width, int height, PixelMode mode)
    {
        _pixels = pixels;
        Width = width;
        Height = height;
        Mode = mode;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel layout.</summary>
    public PixelMode Mode { get; }

    /// <summary>Bytes per pixel (1, 3 or 4).</summary>
    public int Channels => (int)Mode;

    /// <summary>Bytes per row: <see cref="Width"/> × <see cref="Channels"/>.</summary>
    public int Stride => Width * Channels;

    /// <summary>All pixels, row after row.</summary>
    public Span<byte> Span => _pixels.Span;

    /// <summary>Whether the image was disposed.</summary>
    public bool IsDisposed => _pixels.IsDisposed;

    /// <summary>The pixels of row <paramref name="y"/>.</summary>
    public Span<byte> Row(int y)
    {
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y), y, $"The image has {Height} rows.");
        return _pixels.Span.Slice(y * Stride, Stride);
    }

    /// <summary>A new image with uninitialised pixels, charged to the current memory budget.</summary>
    public static Image Create(int width, int height, PixelMode mode = PixelMode.RGB)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (mode is not (PixelMode.L or PixelMode.RGB or PixelMode.RGBA))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The pixel mode must be L, RGB or RGBA.");
        long bytes = (long)width * height * (int)mode;
        if (bytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} {mode} image needs {bytes:N0} bytes, more than one buffer can hold.");
        return new Image(Blob.Rent((int)bytes), width, height, mode);
    }

    /// <summary>Returns the pixels to the pool and their bytes to the budget. Safe to call twice.</summary>
    public void Dispose() => _pixels.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"Image {Width}x{Height} {Mode}";
}
