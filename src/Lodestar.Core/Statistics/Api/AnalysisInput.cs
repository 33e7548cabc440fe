namespace Lodestar.Core.Statistics.Api;

/// <summary>A validated analysis request, in engine terms.</summary>
public sealed record AnalysisInput(MetricDefinition Metric, AnalysisOptions Options, IReadOnlyList<VariationAggregate> Variations);
