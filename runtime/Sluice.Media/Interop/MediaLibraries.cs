
namespace Sluice.Interop;

/// <summary>The native libraries Sluice.Media loads (Debian's packages), registered with <see cref="NativeLibraries"/>.</summary>
internal static class MediaLibraries
{
    private const string Setup = "bash scripts/setup-native.sh";

    /// <summary>libjpeg-turbo's TurboJPEG API.</summary>
    public static readonly NativeLibrarySpec TurboJpeg = new("turbojpeg", "libturbojpeg.so.0", $"sudo apt-get install libturbojpeg0 (or: {Setup})");
    /// <summary>libspng.</summary>
    public static readonly NativeLibrarySpec Spng = new("spng", "libspng.so.0", $"sudo apt-get install libspng0 (or: {Setup})");
    /// <summary>libdeflate.</summary>
    public static readonly NativeLibrarySpec Deflate = new("deflate", "libdeflate.so.0", $"sudo apt-get install libdeflate0 (or: {Setup})");

    static MediaLibraries() => NativeLibraries.Register(typeof(MediaLibraries).Assembly, TurboJpeg, Spng, Deflate);

    /// <summary>Registers the libraries and the resolver for this assembly (runs the static constructor once).</summary>
    public static void EnsureRegistered() { }
}
