namespace Lodestar.Core.Statistics;

/// <summary>Whether a metric is a per-user mean or a ratio of two per-user totals.</summary>
public enum MetricStatistic
{
    Mean,
    Ratio,
}
