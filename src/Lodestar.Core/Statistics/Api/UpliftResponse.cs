namespace Lodestar.Core.Statistics.Api;

/// <summary>The sampling (frequentist) or posterior (Bayesian) distribution of the effect.</summary>
public sealed record UpliftResponse(string Dist, double? Mean, double? Stddev);
