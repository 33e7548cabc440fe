namespace Lodestar.Core.Statistics;

/// <summary>
/// The CUPED coefficient θ, pooled over one control/treatment pair. θ is recomputed for every pair, so the
/// control's adjusted statistic differs from one comparison to the next (as in gbstats).
/// </summary>
public static class CupedTheta
{
    /// <summary>Below this |θ| a ratio CUPED pair falls back to plain ratios.</summary>
    public const double RatioFallbackThreshold = 1e-8;

    /// <summary>θ = cov(post, pre)/var(pre) over both arms pooled; 0 if either pooled variance is 0.</summary>
    public static double ForMeans(RegressionAdjustedStatistic a, RegressionAdjustedStatistic b)
    {
        var n = a.N + b.N;
        var post = SumStatistic.Pool(a.Post, b.Post, n);
        var pre = SumStatistic.Pool(a.Pre, b.Pre, n);
        if (pre.Variance == 0 || post.Variance == 0)
        {
            return 0;
        }

        var covariance = SumStatistic.Covariance(n, post, pre, a.PostPreSumOfProducts + b.PostPreSumOfProducts);
        return covariance / pre.Variance;
    }

    /// <summary>θ = −(cov_a + cov_b)/(vpre_a + vpre_b), both taken with the gradient at θ = 1.</summary>
    public static double ForRatios(RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b)
    {
        var aOne = a with { Theta = 1 };
        var bOne = b with { Theta = 1 };
        var preVariance = aOne.PreVariance + bOne.PreVariance;
        if (preVariance == 0)
        {
            return 0;
        }

        return -(aOne.PrePostCovariance + bOne.PrePostCovariance) / preVariance;
    }

    /// <summary>
    /// Sets the pairwise θ on a CUPED pair, or reverts both arms to their unadjusted statistic when the
    /// pre-period carries no information. Pairs that are not CUPED, or already have θ, pass through.
    /// </summary>
    public static (ArmStatistic Control, ArmStatistic Treatment) Apply(ArmStatistic control, ArmStatistic treatment)
    {
        switch (control, treatment)
        {
            case (RegressionAdjustedStatistic a, RegressionAdjustedStatistic b) when a.Theta is null || b.Theta is null:
            {
                var theta = ForMeans(a, b);
                return theta == 0 ? (a.Post, b.Post) : (a with { Theta = theta }, b with { Theta = theta });
            }

            case (RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b) when a.Theta is null || b.Theta is null:
            {
                var theta = ForRatios(a, b);
                return Math.Abs(theta) < RatioFallbackThreshold
                    ? (a.WithoutAdjustment(), b.WithoutAdjustment())
                    : (a with { Theta = theta }, b with { Theta = theta });
            }

            default:
                return (control, treatment);
        }
    }
}
