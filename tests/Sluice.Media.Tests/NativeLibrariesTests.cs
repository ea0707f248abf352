using Xunit;
using Sluice.Interop;

namespace Sluice.Media.Tests;

public class NativeLibrariesTests
{
    // Sluice.Media registers its libraries with the core's resolver when its bindings are first used.
    public NativeLibrariesTests() => MediaLibraries.EnsureRegistered();

    [Fact]
    public void A_missing_library_names_itself_and_the_command_that_installs_it()
    {
        var spec = new NativeLibrarySpec("nosuch", "libsluice-nosuch.so.7", "sudo apt-get install libsluice-nosuch7");
        var e = Assert.Throws<NativeLibraryMissingException>(() => NativeLibraries.Load(spec));
        Assert.IsAssignableFrom<DllNotFoundException>(e);
        Assert.Contains("'nosuch' (libsluice-nosuch.so.7) is not installed", e.Message);
        Assert.Contains("Install it with: sudo apt-get install libsluice-nosuch7", e.Message);
        Assert.Contains("system loader", e.Message);
    }

    [Theory]
    [InlineData("turbojpeg")]
    [InlineData("spng")]
    [InlineData("deflate")]
    public void The_libraries_setup_native_installs_load(string name)
    {
        Assert.NotEqual(IntPtr.Zero, NativeLibraries.Load(name));
    }

    [Fact]
    public void An_unknown_logical_name_is_an_argument_error()
    {
        var e = Assert.Throws<ArgumentException>(() => NativeLibraries.Load("libfoo"));
        Assert.Contains("turbojpeg", e.Message);
        Assert.Contains("spng", e.Message);
        Assert.Contains("deflate", e.Message);
    }
}
