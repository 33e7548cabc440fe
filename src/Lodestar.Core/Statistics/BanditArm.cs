namespace Lodestar.Core.Statistics;

/// <summary>One bandit arm as the sampler sees it: units, the metric's mean and its unit-level variance.</summary>
public sealed record BanditArm(double N, double Mean, double Variance)
{
    /// <summary>
    /// Summarises arm statistics for the bandit. Ratios use their delta-method variance; CUPED arms use the θ
    /// from the period query (the first arm's) with the pooled pre-period mean added back, as gbstats does.
    /// </summary>
    public static IReadOnlyList<BanditArm> FromStatistics(IReadOnlyList<ArmStatistic> statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Count > 0 && statistics[0] is RegressionAdjustedStatistic first)
        {
            var theta = first.Theta ?? 0;
            var cuped = statistics.Cast<RegressionAdjustedStatistic>().ToList();
            var totalN = cuped.Sum(s => s.N);
            var addBack = totalN > 0 ? theta * cuped.Sum(s => s.N * s.Pre.Mean) / totalN : 0;
            return cuped
                .Select(s => new BanditArm(
                    s.N,
                    s.Post.Mean - theta * s.Pre.Mean + addBack,
                    s.Post.Variance + theta * theta * s.Pre.Variance - 2 * theta * s.Covariance))
                .ToList();
        }

        return statistics.Select(FromStatistic).ToList();
    }

    private static BanditArm FromStatistic(ArmStatistic statistic) => statistic switch
    {
        RatioStatistic r => new BanditArm(
            r.N,
            r.Denominator.Mean > 0 ? r.Numerator.Mean / r.Denominator.Mean : 0,
            r.N > 0
                ? DeltaMethod.VarianceOfRatio(r.Numerator.Mean, r.Numerator.Variance, r.Denominator.Mean, r.Denominator.Variance, r.Covariance)
                : 0),
        RegressionAdjustedRatioStatistic rr => FromStatistic(rr.WithoutAdjustment()),

        // Bandit periods are re-weighted in SQL, so a proportion is treated as a plain mean.
        ProportionStatistic p => new BanditArm(p.N, p.Mean, new SampleMeanStatistic(p.N, p.Sum, p.Sum).Variance),
        _ => new BanditArm(statistic.N, statistic.Mean, statistic.Variance),
    };
}
