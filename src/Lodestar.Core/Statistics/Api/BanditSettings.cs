namespace Lodestar.Core.Statistics.Api;

/// <summary>Bandit settings as sent by clients; defaults are GrowthBook's production settings.</summary>
public sealed class BanditSettings
{
    /// <summary>Current traffic split, one weight per variation summing to 1; omitted means even.</summary>
    public IReadOnlyList<double>? CurrentWeights { get; init; }

    /// <summary>Seed of the Monte Carlo draws; 0 picks one at random.</summary>
    public int Seed { get; init; } = 100;

    public double MinVariationWeight { get; init; } = 0.01;

    public bool TopTwo { get; init; }

    /// <summary>When false the weights are reported but the current split is kept.</summary>
    public bool Reweight { get; init; } = true;
}
