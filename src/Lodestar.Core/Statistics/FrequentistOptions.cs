namespace Lodestar.Core.Statistics;

/// <summary>Settings of a frequentist comparison. Defaults are gbstats's.</summary>
public sealed record FrequentistOptions
{
    public double Alpha { get; init; } = 0.05;

    public DifferenceType DifferenceType { get; init; } = DifferenceType.Relative;

    public TestDirection Direction { get; init; } = TestDirection.TwoSided;

    public bool Sequential { get; init; }

    public double SequentialTuningParameter { get; init; } = ConfidenceSequence.DefaultTuningParameter;

    /// <summary>The null-hypothesis effect (0 unless testing non-inferiority margins).</summary>
    public double TestValue { get; init; }

    /// <summary>Required when <see cref="DifferenceType"/> is <see cref="DifferenceType.Scaled"/>.</summary>
    public ScaledImpact? Scaling { get; init; }
}
