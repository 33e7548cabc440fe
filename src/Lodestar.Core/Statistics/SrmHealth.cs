namespace Lodestar.Core.Statistics;

/// <summary>Verdict of the sample-ratio-mismatch check.</summary>
public enum SrmHealth
{
    Healthy,
    Unhealthy,
    NotEnoughTraffic,
}
