using Sluice;
using Xunit;

namespace Sluice.Tests.Hosting;

public class MemorySizeTests
{
    [Theory]
    [InlineData("1048576", 1_048_576L)]
    [InlineData("512MB", 512_000_000L)]
    [InlineData("512mb", 512_000_000L)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("2gib", 2L << 30)]
    [InlineData("64KiB", 65_536L)]
    [InlineData("3MiB", 3L << 20)]
    [InlineData("1TiB", 1L << 40)]
    [InlineData("2TB", 2_000_000_000_000L)]
    [InlineData("10kb", 10_000L)]
    [InlineData("100B", 100L)]
    [InlineData(" 256 MB ", 256_000_000L)]
    [InlineData("1.5KiB", 1536L)]
    public void Parses_bytes_and_1000_and_1024_based_units_case_insensitively(string text, long expected)
    {
        Assert.True(MemorySize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("MB")]
    [InlineData("12XB")]
    [InlineData("-5MB")]
    [InlineData("0")]
    [InlineData("0GB")]
    [InlineData("1.5")]
    [InlineData("1,000")]
    [InlineData("1e6")]
    [InlineData("two GB")]
    [InlineData("99999999999TB")]
    public void Refuses_anything_that_is_not_a_positive_size(string text)
    {
        Assert.False(MemorySize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(512L, "512 B")]
    [InlineData(12_300_000L, "12.3 MB")]
    [InlineData(2L << 30, "2 GiB")]
    [InlineData(512_000_000L, "512 MB")]
    [InlineData(1_536_000L, "1.54 MB")]
    public void Formats_exact_binary_sizes_in_binary_units_and_others_in_decimal_units(long bytes, string expected)
    {
        Assert.Equal(expected, MemorySize.Format(bytes));
    }
}
