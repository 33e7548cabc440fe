namespace Lodestar.Core.Statistics;

/// <summary>How to analyse one metric of an experiment. Defaults are GrowthBook's.</summary>
public sealed record AnalysisOptions
{
    public StatsEngine Engine { get; init; } = StatsEngine.Bayesian;

    public DifferenceType DifferenceType { get; init; } = DifferenceType.Relative;

    /// <summary>p-value threshold; also 1 − credible level for the Bayesian interval.</summary>
    public double Alpha { get; init; } = 0.05;

    public bool SequentialTesting { get; init; }

    public double SequentialTuningParameter { get; init; } = ConfidenceSequence.DefaultTuningParameter;

    public bool OneSidedIntervals { get; init; }

    public GaussianPrior Prior { get; init; } = GaussianPrior.Improper;

    /// <summary>CUPED using the pre-exposure covariate columns.</summary>
    public bool RegressionAdjusted { get; init; }

    /// <summary>Planned traffic split, one weight per variation; null means an even split.</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    public double TrafficPercentage { get; init; } = 1;

    public double PhaseLengthDays { get; init; } = 1;

    public PValueCorrection PValueCorrection { get; init; } = PValueCorrection.None;
}
