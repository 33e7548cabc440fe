namespace Lodestar.Core.Statistics.Api;

/// <summary>Body of <c>POST /api/v1/stats/analyze</c>: one aggregate row per variation, the baseline first.</summary>
public sealed class AnalyzeRequest
{
    public MetricSettings? Metric { get; init; }

    public AnalysisSettings? Settings { get; init; }

    public IReadOnlyList<VariationRow?>? Variations { get; init; }
}
