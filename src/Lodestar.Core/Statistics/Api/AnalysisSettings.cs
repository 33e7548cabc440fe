namespace Lodestar.Core.Statistics.Api;

/// <summary>Analysis settings as sent by clients; every field is optional and defaults to GrowthBook's default.</summary>
public sealed class AnalysisSettings
{
    /// <summary>"bayesian" or "frequentist".</summary>
    public string? StatsEngine { get; init; } = "bayesian";

    /// <summary>"relative", "absolute" or "scaled".</summary>
    public string? DifferenceType { get; init; } = "relative";

    public double Alpha { get; init; } = 0.05;

    public bool SequentialTestingEnabled { get; init; }

    public double SequentialTuningParameter { get; init; } = ConfidenceSequence.DefaultTuningParameter;

    public bool OneSidedIntervals { get; init; }

    public bool PriorProper { get; init; }

    public double PriorMean { get; init; }

    public double PriorStddev { get; init; } = GaussianPrior.DefaultProperStdDev;

    public bool RegressionAdjusted { get; init; }

    /// <summary>Planned traffic split, one weight per variation summing to 1; omitted means even.</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    public double TrafficPercentage { get; init; } = 1;

    public double PhaseLengthDays { get; init; } = 1;

    /// <summary>null, "holm-bonferroni" or "benjamini-hochberg".</summary>
    public string? PValueCorrection { get; init; }
}
