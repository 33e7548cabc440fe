namespace Lodestar.Core.Statistics;

/// <summary>
/// gbstats's <c>EffectBayesianABTest</c>: a Gaussian likelihood for the estimated effect combined with a
/// Gaussian prior on the effect.
/// </summary>
public static class BayesianTest
{
    public static BayesianResult Run(ArmStatistic control, ArmStatistic treatment, BayesianOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (control, treatment) = CupedTheta.Apply(control, treatment);
        var relative = options.DifferenceType == DifferenceType.Relative;
        var moments = EffectMoments.Compute(control, treatment, relative);
        if (moments.IsError)
        {
            return BayesianResult.Default(moments.ErrorMessage, relative);
        }

        var prior = options.Prior;
        if (!relative)
        {
            // The prior is stated on lift; on the absolute scale it is stretched by the baseline.
            var baseline = control.UnadjustedMean;
            if (prior.Proper && baseline == 0)
            {
                return BayesianResult.Default(StatisticsErrors.BaselineVariationZero, relative);
            }

            prior = prior with { Mean = prior.Mean * Math.Abs(baseline), Variance = prior.Variance * baseline * baseline };
        }

        var dataMean = moments.PointEstimate;
        var dataVariance = moments.StandardError * moments.StandardError;
        double precision, mean;
        if (dataVariance != 0)
        {
            precision = 1 / dataVariance + (prior.Proper ? 1 / prior.Variance : 0);
            mean = prior.Proper ? (dataMean / dataVariance + prior.Mean / prior.Variance) / precision : dataMean;
        }
        else
        {
            precision = prior.Proper ? 1 / prior.Variance : 0;
            mean = prior.Proper ? prior.Mean : 0;
        }

        if (precision == 0)
        {
            return BayesianResult.Default(StatisticsErrors.BaselineVariationZero, relative);
        }

        var sd = Math.Sqrt(1 / precision);
        var probabilityPositive = ProbabilityFunctions.NormalCdf(mean / sd);
        var chanceToWin = options.Inverse ? 1 - probabilityPositive : probabilityPositive;
        var (lower, upper) = CredibleInterval(mean, sd, options.Alpha);
        var (riskControl, riskTreatment) = Risk(mean, sd);
        if (options.Inverse)
        {
            (riskControl, riskTreatment) = (riskTreatment, riskControl);
        }

        var result = new BayesianResult(chanceToWin, mean, lower, upper, mean, sd, riskControl, riskTreatment,
            relative ? "relative" : "absolute", null);
        return options.DifferenceType == DifferenceType.Scaled ? Scale(result, control, treatment, options.Scaling) : result;
    }

    /// <summary>Equal-tailed interval [μ + σΦ⁻¹(α/2), μ + σΦ⁻¹(1−α/2)].</summary>
    public static (double Lower, double Upper) CredibleInterval(double mean, double sd, double alpha) =>
        (mean + sd * ProbabilityFunctions.NormalQuantile(alpha / 2), mean + sd * ProbabilityFunctions.NormalQuantile(1 - alpha / 2));

    /// <summary>
    /// Expected loss of each decision under X ~ N(μ, σ²): choosing control loses E[X·1{X&gt;0}], choosing the
    /// treatment loses −E[X·1{X&lt;0}]. Closed forms of gbstats's truncated-normal means.
    /// </summary>
    public static (double Control, double Treatment) Risk(double mean, double sd)
    {
        // Beyond 37σ one tail probability is exactly 0 in doubles; gbstats short-circuits to the limit.
        if (sd > 0 && Math.Abs(mean / sd) > 37)
        {
            return (Math.Max(mean, 0), Math.Max(-mean, 0));
        }

        var z = mean / sd;
        var density = sd * ProbabilityFunctions.NormalPdf(z);
        var control = mean * ProbabilityFunctions.NormalCdf(z) + density;
        var treatment = density - mean * ProbabilityFunctions.NormalCdf(-z);
        return (control, treatment);
    }

    private static BayesianResult Scale(BayesianResult result, ArmStatistic control, ArmStatistic treatment, ScaledImpact? scaling)
    {
        scaling ??= new ScaledImpact(0);
        var problem = scaling.Problem(control, treatment);
        if (problem is not null)
        {
            return BayesianResult.Default(problem, relative: false);
        }

        // Chance to win and risk are left unscaled, as upstream.
        var m = scaling.Multiplier;
        return result with
        {
            Expected = result.Expected * m,
            CiLower = result.CiLower * m,
            CiUpper = result.CiUpper * m,
            UpliftMean = result.UpliftMean * m,
            UpliftStdDev = result.UpliftStdDev * m,
        };
    }
}
