namespace Lodestar.Core.Statistics.Api;

/// <summary>Body of <c>POST /api/v1/stats/bandit</c>: the same rows as an analysis, plus bandit settings.</summary>
public sealed class BanditRequest
{
    public MetricSettings? Metric { get; init; }

    /// <summary>Only alpha and regressionAdjusted are used.</summary>
    public AnalysisSettings? Settings { get; init; }

    public IReadOnlyList<VariationRow?>? Variations { get; init; }

    public BanditSettings? Bandit { get; init; }
}
