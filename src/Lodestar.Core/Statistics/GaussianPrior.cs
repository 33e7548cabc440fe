namespace Lodestar.Core.Statistics;

/// <summary>
/// Normal prior on the effect, on the lift scale. Improper (flat) by default; GrowthBook's suggested proper
/// prior is N(0, 0.3²) on lift.
/// </summary>
public sealed record GaussianPrior(double Mean = 0, double Variance = 1, bool Proper = false)
{
    public const double DefaultProperStdDev = 0.3;

    public static GaussianPrior Improper { get; } = new();

    public static GaussianPrior FromStdDev(double mean, double stdDev, bool proper) => new(mean, stdDev * stdDev, proper);
}
