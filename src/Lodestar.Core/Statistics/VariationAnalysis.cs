namespace Lodestar.Core.Statistics;

/// <summary>
/// The analysis of one variation. The baseline carries only its descriptive numbers; every other variation
/// carries the result of its comparison with the baseline from the configured engine.
/// </summary>
public sealed record VariationAnalysis
{
    public required double Users { get; init; }

    /// <summary>The metric's (unadjusted) mean: conversion rate, average value or ratio.</summary>
    public required double Cr { get; init; }

    /// <summary>The numerator total (main sum).</summary>
    public required double Value { get; init; }

    public required double Denominator { get; init; }

    public required MetricSummary Stats { get; init; }

    public FrequentistResult? Frequentist { get; init; }

    public BayesianResult? Bayesian { get; init; }

    public double? PValueAdjusted { get; init; }

    public (double Lower, double Upper)? CiAdjusted { get; init; }
}
