namespace Lodestar.Core.Statistics.Api;

/// <summary>Descriptive statistics of one arm.</summary>
public sealed record MetricStatsResponse(double Users, double Count, double? Stddev, double? Mean);
