namespace Lodestar.Core.Statistics.Api;

/// <summary>A validated bandit request, in engine terms.</summary>
public sealed record BanditInput(
    MetricDefinition Metric,
    bool RegressionAdjusted,
    IReadOnlyList<VariationAggregate> Variations,
    BanditOptions Options,
    IReadOnlyList<double> CurrentWeights,
    bool Reweight);
