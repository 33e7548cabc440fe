namespace Lodestar.Core.Statistics;

/// <summary>Settings of a Thompson-sampling bandit update. Defaults are GrowthBook's production settings.</summary>
public sealed record BanditOptions
{
    /// <summary>Seed for the Monte Carlo draws; 0 picks a random seed (reported back in the result).</summary>
    public int Seed { get; init; } = 100;

    /// <summary>Top-two Thompson sampling: weight by being best or second best.</summary>
    public bool TopTwo { get; init; }

    /// <summary>Every arm keeps at least this share of traffic.</summary>
    public double MinVariationWeight { get; init; } = 0.01;

    /// <summary>True when lower is better.</summary>
    public bool Inverse { get; init; }

    public double Alpha { get; init; } = 0.05;

    public int Draws { get; init; } = 10_000;

    /// <summary>Weights only move once every arm has this many units.</summary>
    public int MinimumUnitsPerArm { get; init; } = 100;

    /// <summary>Per-arm prior on the mean: N(0, 10⁴), proper.</summary>
    public GaussianPrior Prior { get; init; } = new(0, 1e4, Proper: true);
}
