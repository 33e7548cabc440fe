namespace Lodestar.Core.Statistics;

/// <summary>Settings of a Bayesian comparison. Defaults are gbstats's.</summary>
public sealed record BayesianOptions
{
    /// <summary>1 − credible level of the interval.</summary>
    public double Alpha { get; init; } = 0.05;

    public DifferenceType DifferenceType { get; init; } = DifferenceType.Relative;

    /// <summary>True when lower is better (e.g. load time); flips chance to win and the risk pair.</summary>
    public bool Inverse { get; init; }

    public GaussianPrior Prior { get; init; } = GaussianPrior.Improper;

    public ScaledImpact? Scaling { get; init; }
}
