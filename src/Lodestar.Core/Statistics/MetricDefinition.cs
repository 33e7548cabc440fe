namespace Lodestar.Core.Statistics;

/// <summary>How a metric's aggregate rows are to be read.</summary>
public sealed record MetricDefinition(
    MetricStatistic Statistic,
    MetricKind Main,
    MetricKind? Denominator = null,
    bool Inverse = false,
    MetricKind? Covariate = null)
{
    /// <summary>The pre-exposure covariate's kind; the main metric's kind unless stated.</summary>
    public MetricKind CovariateKind => Covariate ?? Main;
}
