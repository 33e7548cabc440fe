namespace Lodestar.Core.Statistics;

/// <summary>
/// A frequentist comparison. Unbounded interval ends are ±∞; the p-value is null only when the one-sided
/// sequential bisection did not converge.
/// </summary>
public sealed record FrequentistResult(
    double Expected,
    double CiLower,
    double CiUpper,
    double? PValue,
    double UpliftMean,
    double UpliftStdDev,
    string? ErrorMessage,
    string? PValueErrorMessage = null)
{
    /// <summary>The uninformative answer gbstats gives when the test cannot run.</summary>
    public static FrequentistResult Default(string? errorMessage, string? pValueErrorMessage = null) =>
        new(0, 0, 0, 1, 0, 0, errorMessage, pValueErrorMessage);
}
