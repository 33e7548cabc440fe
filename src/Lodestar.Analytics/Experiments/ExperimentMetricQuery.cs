using System.Globalization;
using Lodestar.Analytics.Planning;
using Lodestar.Core.Statistics.Api;

namespace Lodestar.Analytics.Experiments;

/// <summary>What is measured per exposed person.</summary>
public enum ExperimentMetricType
{
    /// <summary>Binomial: did the person do <c>event</c> within <c>window</c> after the first exposure.</summary>
    Conversion,

    /// <summary>Mean: how many <c>event</c>s the person did (within <c>window</c>, if given) after the first exposure.</summary>
    Count,

    /// <summary>Mean: the sum of <c>value</c> (or a numeric <c>property</c>) of the person's <c>event</c>s after exposure.</summary>
    Sum,

    /// <summary>Binomial: did the person do any event (or <c>event</c>) on day <c>day</c> (N ≥ 1) after the first exposure.</summary>
    Retention,

    /// <summary>Ratio (delta method): per-person count (or sum of <c>property</c>) of <c>event</c> over count of <c>denominatorEvent</c>.</summary>
    Ratio,
}

/// <summary>
/// A request for the results of one A/B test: the metric, the arms and the engine settings, read from query parameters.
/// Exposures are events named <see cref="ExposureEvent"/> with properties <c>{"testId", "variantId", "variantName"}</c>.
/// </summary>
public sealed record ExperimentMetricQuery
{
    public const string ExposureEvent = "$experiment_exposure";

    public required string TestId { get; init; }

    public required ExperimentMetricType Metric { get; init; }

    public string? Event { get; init; }

    /// <summary>Numeric property summed by sum and ratio metrics; null or "value" means the event's value.</summary>
    public string? Property { get; init; }

    public string? DenominatorEvent { get; init; }

    /// <summary>Seconds after the first exposure in which events count; null means no limit.</summary>
    public long? WindowSeconds { get; init; }

    /// <summary>Retention day (1 = the 24 h starting 24 h after exposure).</summary>
    public int Day { get; init; }

    /// <summary>When set, CUPED: the covariate is the same metric over this many seconds before exposure.</summary>
    public long? PreWindowSeconds { get; init; }

    /// <summary>Arm order, baseline first; null means by variantId, "Control"/"control" first.</summary>
    public IReadOnlyList<string>? Variants { get; init; }

    public AnalysisSettings Settings { get; init; } = new();

    /// <summary>
    /// When set (<c>breakdown=property:NAME</c>), results are also given per value of this property of the person's
    /// first exposure event (missing → <see cref="NoneValue"/>; beyond the <see cref="MaxBreakdownValues"/> values with
    /// the most exposed persons → <see cref="OtherValue"/>).
    /// </summary>
    public string? BreakdownProperty { get; init; }

    public const int MaxBreakdownValues = 25;

    public const string NoneValue = "(none)";

    public const string OtherValue = "other";

    public bool Binomial => Metric is ExperimentMetricType.Conversion or ExperimentMetricType.Retention;

    public MetricSettings MetricSettings => Metric switch
    {
        ExperimentMetricType.Ratio => new MetricSettings { StatisticType = "ratio", MainMetricType = "count", DenominatorMetricType = "count" },
        _ when Binomial => new MetricSettings { StatisticType = "mean", MainMetricType = "binomial" },
        _ => new MetricSettings { StatisticType = "mean", MainMetricType = "count" },
    };

    /// <summary>Reads the query parameters; throws <see cref="QueryValidationException"/> naming the parameter.</summary>
    public static ExperimentMetricQuery Parse(string testId, Func<string, string?> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (string.IsNullOrWhiteSpace(testId)) throw new QueryValidationException("testId", "testId is required.");
        string? metricText = parameter("metric");
        ExperimentMetricType metric = metricText switch
        {
            "conversion" => ExperimentMetricType.Conversion,
            "count" => ExperimentMetricType.Count,
            "sum" => ExperimentMetricType.Sum,
            "retention" => ExperimentMetricType.Retention,
            "ratio" => ExperimentMetricType.Ratio,
            null or "" => throw new QueryValidationException("metric", "metric is required: conversion, count, sum, retention or ratio."),
            _ => throw new QueryValidationException("metric", $"metric '{metricText}' is not one of conversion, count, sum, retention, ratio."),
        };

        string? evt = NonEmpty(parameter("event"));
        if (evt is null && metric != ExperimentMetricType.Retention)
            throw new QueryValidationException("event", $"event is required for the {metricText} metric (the event name to measure).");

        string? denominator = NonEmpty(parameter("denominatorEvent"));
        if (metric == ExperimentMetricType.Ratio && denominator is null)
            throw new QueryValidationException("denominatorEvent", "denominatorEvent is required for the ratio metric.");

        string? property = NonEmpty(parameter("property"));
        if (property is not null && metric is not (ExperimentMetricType.Sum or ExperimentMetricType.Ratio))
            throw new QueryValidationException("property", "property applies only to the sum and ratio metrics.");

        long? window = NonEmpty(parameter("window")) is { } w ? QueryPlanner.Window(w, "window") : null;
        if (window is not null && metric == ExperimentMetricType.Retention)
            throw new QueryValidationException("window", "window does not apply to retention; use day.");

        int day = 0;
        if (metric == ExperimentMetricType.Retention)
        {
            string? dayText = parameter("day");
            if (!int.TryParse(dayText, NumberStyles.None, CultureInfo.InvariantCulture, out day) || day < 1 || day > 3650)
                throw new QueryValidationException("day", $"day must be a whole number from 1 to 3650 (got '{dayText}').");
        }

        bool cuped = Bool(parameter("cuped"), "cuped");
        long? preWindow = null;
        if (cuped)
        {
            if (metric is ExperimentMetricType.Retention or ExperimentMetricType.Ratio)
                throw new QueryValidationException("cuped", "cuped is supported for the conversion, count and sum metrics.");
            preWindow = QueryPlanner.Window(NonEmpty(parameter("preWindow")) ?? "14d", "preWindow");
        }

        IReadOnlyList<string>? variants = null;
        if (NonEmpty(parameter("variants")) is { } list)
        {
            variants = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (variants.Count < 2 || variants.Distinct(StringComparer.Ordinal).Count() != variants.Count)
                throw new QueryValidationException("variants", "variants must list at least two distinct variantIds, comma-separated, the baseline first.");
        }

        string? breakdown = null;
        if (NonEmpty(parameter("breakdown")) is { } spec)
        {
            const string prefix = "property:";
            breakdown = spec.StartsWith(prefix, StringComparison.Ordinal) ? spec[prefix.Length..].Trim() : null;
            if (string.IsNullOrEmpty(breakdown) || breakdown.Length > 200 || breakdown.Any(c => char.IsControl(c) || c is '"' or '\\'))
                throw new QueryValidationException("breakdown", $"breakdown must be property:NAME, NAME a property of the exposure event (got '{spec}').");
        }

        var settings = new AnalysisSettings
        {
            StatsEngine = Choice(parameter("engine"), "engine", "bayesian", "bayesian", "frequentist"),
            DifferenceType = Choice(parameter("differenceType"), "differenceType", "relative", "relative", "absolute", "scaled"),
            Alpha = Alpha(parameter("alpha")),
            SequentialTestingEnabled = Bool(parameter("sequential"), "sequential"),
            PValueCorrection = NonEmpty(parameter("correction")) is null ? null : Choice(parameter("correction"), "correction", "", "holm-bonferroni", "benjamini-hochberg"),
            RegressionAdjusted = cuped,
        };

        return new ExperimentMetricQuery
        {
            TestId = testId,
            Metric = metric,
            Event = evt,
            Property = property,
            DenominatorEvent = denominator,
            WindowSeconds = window,
            Day = day,
            PreWindowSeconds = preWindow,
            Variants = variants,
            Settings = settings,
            BreakdownProperty = breakdown,
        };
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static bool Bool(string? text, string field) => NonEmpty(text) switch
    {
        null or "false" => false,
        "true" => true,
        _ => throw new QueryValidationException(field, $"{field} must be true or false (got '{text}')."),
    };

    private static string Choice(string? text, string field, string fallback, params string[] allowed)
    {
        string? value = NonEmpty(text);
        if (value is null) return fallback;
        if (allowed.Contains(value, StringComparer.Ordinal)) return value;
        throw new QueryValidationException(field, $"{field} '{value}' is not one of {string.Join(", ", allowed)}.");
    }

    private static double Alpha(string? text)
    {
        if (NonEmpty(text) is not { } value) return 0.05;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha) && alpha is > 0 and < 1) return alpha;
        throw new QueryValidationException("alpha", $"alpha must be a number between 0 and 1 (exclusive), e.g. 0.05 (got '{text}').");
    }
}
