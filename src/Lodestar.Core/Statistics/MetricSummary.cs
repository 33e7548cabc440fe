namespace Lodestar.Core.Statistics;

/// <summary>Descriptive statistics of one arm. The mean is unadjusted; the stddev is CUPED-adjusted when CUPED is on.</summary>
public sealed record MetricSummary(double Users, double Count, double StdDev, double Mean);
