namespace Lodestar.Core.Statistics.Api;

/// <summary>The metric being analysed, as sent by clients.</summary>
public sealed class MetricSettings
{
    /// <summary>"mean" or "ratio".</summary>
    public string? StatisticType { get; init; } = "mean";

    /// <summary>"count" or "binomial".</summary>
    public string? MainMetricType { get; init; } = "count";

    /// <summary>"count" or "binomial"; required for ratio metrics.</summary>
    public string? DenominatorMetricType { get; init; }

    /// <summary>Kind of the CUPED covariate; defaults to the main metric's.</summary>
    public string? CovariateMetricType { get; init; }

    /// <summary>True when lower is better.</summary>
    public bool Inverse { get; init; }
}
