namespace Lodestar.Core.Statistics;

/// <summary>The estimated effect of a treatment and its standard error, or why it could not be estimated.</summary>
public sealed record EffectEstimate(double PointEstimate, double StandardError, double PairwiseSampleSize, string? ErrorMessage)
{
    public bool IsError => ErrorMessage is not null;

    public static EffectEstimate Failed(string message) => new(0, 0, 0, message);
}
