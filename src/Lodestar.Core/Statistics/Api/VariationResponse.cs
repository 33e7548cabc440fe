namespace Lodestar.Core.Statistics.Api;

/// <summary>
/// One variation in an analysis response. The baseline carries only its descriptive fields; a field the
/// engine does not produce (e.g. chanceToWin from the frequentist engine) and an unbounded interval end are null.
/// </summary>
public sealed record VariationResponse
{
    public double Users { get; init; }

    public double? Cr { get; init; }

    public double? Value { get; init; }

    public double? Denominator { get; init; }

    public MetricStatsResponse? Stats { get; init; }

    public double? Expected { get; init; }

    public IReadOnlyList<double?>? Ci { get; init; }

    public double? PValue { get; init; }

    public string? PValueErrorMessage { get; init; }

    /// <summary>Set when a p-value correction was requested; <see cref="PValue"/> stays the raw value.</summary>
    public double? PValueAdjusted { get; init; }

    public IReadOnlyList<double?>? CiAdjusted { get; init; }

    public double? ChanceToWin { get; init; }

    public IReadOnlyList<double?>? Risk { get; init; }

    public string? RiskType { get; init; }

    public UpliftResponse? Uplift { get; init; }

    public string? ErrorMessage { get; init; }
}
