namespace Lodestar.Core.Statistics;

/// <summary>
/// Welch's t-test (fractional Satterthwaite df, for every metric type including proportions) and its
/// sequential variant, as in gbstats <c>frequentist/tests.py</c>.
/// </summary>
public static class FrequentistTest
{
    public static FrequentistResult Run(ArmStatistic control, ArmStatistic treatment, FrequentistOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (control, treatment) = CupedTheta.Apply(control, treatment);
        var relative = options.DifferenceType == DifferenceType.Relative;
        var moments = EffectMoments.Compute(control, treatment, relative);
        if (moments.IsError)
        {
            return FrequentistResult.Default(moments.ErrorMessage);
        }

        var oneSided = options.Direction != TestDirection.TwoSided;
        if (options.Sequential && oneSided && options.Alpha >= 0.5)
        {
            return FrequentistResult.Default(null, StatisticsErrors.SequentialOneSidedAlphaTooBig);
        }

        var estimate = moments.PointEstimate;
        var se = moments.StandardError;
        var (lower, upper, pValue, pValueError) = options.Sequential
            ? SequentialInterval(estimate, se, moments.PairwiseSampleSize, options)
            : FixedHorizonInterval(estimate, se, DegreesOfFreedom(control, treatment), options);

        var result = new FrequentistResult(estimate, lower, upper, pValue, estimate, se, null, pValueError);
        return options.DifferenceType == DifferenceType.Scaled ? Scale(result, control, treatment, options.Scaling) : result;
    }

    /// <summary>Welch–Satterthwaite ν from the unit-level variances of the two (θ-adjusted) arms.</summary>
    public static double DegreesOfFreedom(ArmStatistic control, ArmStatistic treatment)
    {
        double va = control.Variance, vb = treatment.Variance, na = control.N, nb = treatment.N;
        var numerator = Math.Pow(vb / nb + va / na, 2);
        var denominator = vb * vb / (nb * nb * (nb - 1)) + va * va / (na * na * (na - 1));
        return numerator / denominator;
    }

    private static (double Lower, double Upper, double? PValue, string? Error) FixedHorizonInterval(
        double estimate, double se, double dof, FrequentistOptions options)
    {
        var t = (estimate - options.TestValue) / se;
        switch (options.Direction)
        {
            case TestDirection.TreatmentGreater:
            {
                var halfWidth = ProbabilityFunctions.StudentTQuantile(1 - options.Alpha, dof) * se;
                return (estimate - halfWidth, double.PositiveInfinity, ProbabilityFunctions.StudentTSurvival(t, dof), null);
            }

            case TestDirection.TreatmentLesser:
            {
                var halfWidth = ProbabilityFunctions.StudentTQuantile(1 - options.Alpha, dof) * se;
                return (double.NegativeInfinity, estimate + halfWidth, ProbabilityFunctions.StudentTCdf(t, dof), null);
            }

            default:
            {
                var halfWidth = ProbabilityFunctions.StudentTQuantile(1 - options.Alpha / 2, dof) * se;
                var p = 2 * ProbabilityFunctions.StudentTSurvival(Math.Abs(t), dof);
                return (estimate - halfWidth, estimate + halfWidth, p, null);
            }
        }
    }

    private static (double Lower, double Upper, double? PValue, string? Error) SequentialInterval(
        double estimate, double se, double n, FrequentistOptions options)
    {
        var twoSided = options.Direction == TestDirection.TwoSided;
        var rho = ConfidenceSequence.Rho(options.Alpha, options.SequentialTuningParameter, twoSided);
        var s2 = se * se * n;
        if (twoSided)
        {
            var halfWidth = ConfidenceSequence.TwoSidedHalfWidth(s2, n, options.Alpha, rho);
            var p = ConfidenceSequence.TwoSidedPValue(estimate, options.TestValue, se, n, rho);
            return (estimate - halfWidth, estimate + halfWidth, p, null);
        }

        var lesser = options.Direction == TestDirection.TreatmentLesser;
        var oneSidedHalfWidth = ConfidenceSequence.OneSidedHalfWidth(s2, n, options.Alpha, rho);
        var (pValue, error) = ConfidenceSequence.OneSidedPValue(estimate, s2, n, rho, lesser);
        return lesser
            ? (double.NegativeInfinity, estimate + oneSidedHalfWidth, pValue, error)
            : (estimate - oneSidedHalfWidth, double.PositiveInfinity, pValue, error);
    }

    private static FrequentistResult Scale(FrequentistResult result, ArmStatistic control, ArmStatistic treatment, ScaledImpact? scaling)
    {
        scaling ??= new ScaledImpact(0);
        var problem = scaling.Problem(control, treatment);
        if (problem is not null)
        {
            return FrequentistResult.Default(problem);
        }

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
