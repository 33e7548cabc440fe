namespace Lodestar.Core.Statistics;

/// <summary>The kind of a per-user value: any number, or converted yes/no.</summary>
public enum MetricKind
{
    Count,
    Binomial,
}
