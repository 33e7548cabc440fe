namespace Lodestar.Core.Statistics;

/// <summary>
/// Analyses one metric of an experiment from one aggregate row per variation (the first is the baseline):
/// every variation is compared pairwise with the baseline, then SRM and any multiple-testing correction are
/// applied across the whole set (gbstats <c>analyze_metric_df</c> plus GrowthBook's TS post-processing).
/// </summary>
public static class ExperimentAnalyzer
{
    public static ExperimentAnalysis Analyze(MetricDefinition metric, AnalysisOptions options, IReadOnlyList<VariationAggregate> variations)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(variations);
        if (variations.Count < 2)
        {
            throw new ArgumentException("An analysis needs a baseline and at least one other variation.", nameof(variations));
        }

        var statistics = variations.Select(v => ArmStatisticFactory.Create(v, metric, options.RegressionAdjusted)).ToList();
        var scaling = new ScaledImpact(variations.Sum(v => v.Users), options.TrafficPercentage, options.PhaseLengthDays);
        var analyses = new VariationAnalysis[variations.Count];
        var baselineStatistic = statistics[0];
        for (var i = 1; i < variations.Count; i++)
        {
            // θ is pairwise, so the control statistic is re-derived for every comparison.
            var (control, treatment) = CupedTheta.Apply(statistics[0], statistics[i]);
            baselineStatistic = control;
            analyses[i] = Describe(variations[i], treatment) with
            {
                Frequentist = options.Engine == StatsEngine.Frequentist ? FrequentistTest.Run(control, treatment, FrequentistOptionsFor(metric, options, scaling)) : null,
                Bayesian = options.Engine == StatsEngine.Bayesian ? BayesianTest.Run(control, treatment, BayesianOptionsFor(metric, options, scaling)) : null,
            };
        }

        // Like gbstats, the baseline's stddev comes from the last pair's θ.
        analyses[0] = Describe(variations[0], baselineStatistic);

        if (options.Engine == StatsEngine.Frequentist && options.PValueCorrection != PValueCorrection.None)
        {
            ApplyCorrection(analyses, options);
        }

        var users = variations.Select(v => v.Users).ToArray();
        var weights = options.Weights ?? Enumerable.Repeat(1.0 / variations.Count, variations.Count).ToArray();
        var srm = SampleRatioMismatch.PValue(users, weights);
        return new ExperimentAnalysis(srm, SampleRatioMismatch.Health(srm, users.Sum(), variations.Count), analyses);
    }

    public static FrequentistOptions FrequentistOptionsFor(MetricDefinition metric, AnalysisOptions options, ScaledImpact? scaling)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(options);

        // A one-sided interval bounds the side that would be bad news: above for ordinary metrics, below for inverse ones.
        var direction = !options.OneSidedIntervals ? TestDirection.TwoSided
            : metric.Inverse ? TestDirection.TreatmentGreater
            : TestDirection.TreatmentLesser;
        return new FrequentistOptions
        {
            Alpha = options.Alpha,
            DifferenceType = options.DifferenceType,
            Direction = direction,
            Sequential = options.SequentialTesting,
            SequentialTuningParameter = options.SequentialTuningParameter,
            Scaling = scaling,
        };
    }

    public static BayesianOptions BayesianOptionsFor(MetricDefinition metric, AnalysisOptions options, ScaledImpact? scaling)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(options);
        return new BayesianOptions
        {
            Alpha = options.Alpha,
            DifferenceType = options.DifferenceType,
            Inverse = metric.Inverse,
            Prior = options.Prior,
            Scaling = scaling,
        };
    }

    private static VariationAnalysis Describe(VariationAggregate row, ArmStatistic statistic) => new()
    {
        Users = row.Users,
        Cr = statistic.UnadjustedMean,
        Value = row.MainSum,
        Denominator = row.DenominatorSum,
        Stats = new MetricSummary(row.Users, row.Count, statistic.StdDev, statistic.UnadjustedMean),
    };

    private static void ApplyCorrection(VariationAnalysis[] analyses, AnalysisOptions options)
    {
        var tested = Enumerable.Range(1, analyses.Length - 1)
            .Where(i => analyses[i].Frequentist?.PValue is not null)
            .ToList();
        if (tested.Count == 0)
        {
            return;
        }

        var adjusted = MultipleTestingCorrection.Adjust(tested.Select(i => analyses[i].Frequentist!.PValue!.Value).ToList(), options.PValueCorrection);
        for (var j = 0; j < tested.Count; j++)
        {
            var result = analyses[tested[j]].Frequentist!;
            analyses[tested[j]] = analyses[tested[j]] with
            {
                PValueAdjusted = adjusted[j],
                CiAdjusted = MultipleTestingCorrection.AdjustedInterval(adjusted[j], result.UpliftMean, options.Alpha, result.CiLower, result.CiUpper),
            };
        }
    }
}
