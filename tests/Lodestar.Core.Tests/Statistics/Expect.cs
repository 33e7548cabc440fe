namespace Lodestar.Core.Tests.Statistics;

/// <summary>Numeric assertions in the two forms upstream expectations come in.</summary>
internal static class Expect
{
    /// <summary>Matches a value gbstats's tests give rounded to <paramref name="decimals"/> places.</summary>
    public static void Rounded(double expected, double actual, int decimals, string? what = null)
    {
        var tolerance = 0.5 * Math.Pow(10, -decimals) + 1e-12;
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{what ?? "value"}: expected {expected} (to {decimals} decimals), got {actual:R}");
    }

    /// <summary>Matches a full-precision reference value to 6 significant digits.</summary>
    public static void SixDigits(double expected, double actual, string? what = null)
    {
        if (double.IsInfinity(expected))
        {
            Assert.Equal(expected, actual);
            return;
        }

        var tolerance = 5e-7 * Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{what ?? "value"}: expected {expected:R} (6 significant digits), got {actual:R}");
    }
}
