namespace Lodestar.Core.Statistics;

/// <summary>
/// Point estimate and standard error of the treatment effect, shared by the frequentist and Bayesian engines
/// (gbstats <c>EffectMoments</c>). Expects θ already set on CUPED pairs (<see cref="CupedTheta.Apply"/>).
/// </summary>
public static class EffectMoments
{
    public static EffectEstimate Compute(ArmStatistic control, ArmStatistic treatment, bool relative)
    {
        var variance = Variance(control, treatment, relative);
        if (control.HasZeroVariance || treatment.HasZeroVariance || variance <= 0)
        {
            return EffectEstimate.Failed(StatisticsErrors.ZeroNegativeVariance);
        }

        if (control.Mean == 0 || control.UnadjustedMean == 0)
        {
            return EffectEstimate.Failed(StatisticsErrors.BaselineVariationZero);
        }

        if ((control is RegressionAdjustedStatistic) != (treatment is RegressionAdjustedStatistic))
        {
            return EffectEstimate.Failed(StatisticsErrors.MixedCupedPair);
        }

        return new EffectEstimate(PointEstimate(control, treatment, relative), Math.Sqrt(variance), control.N + treatment.N, null);
    }

    /// <summary>Absolute difference, or the lift over |unadjusted control mean| so a negative baseline keeps the sign right.</summary>
    public static double PointEstimate(ArmStatistic control, ArmStatistic treatment, bool relative)
    {
        var difference = treatment.Mean - control.Mean;
        if (!relative)
        {
            return difference;
        }

        // gbstats falls back to the adjusted mean when the unadjusted one is 0 (Python truthiness).
        var baseline = control.UnadjustedMean != 0 ? control.UnadjustedMean : control.Mean;
        return difference / Math.Abs(baseline);
    }

    public static double Variance(ArmStatistic control, ArmStatistic treatment, bool relative) =>
        (control, treatment, relative) switch
        {
            (RegressionAdjustedStatistic a, RegressionAdjustedStatistic b, true) => RelativeCupedVariance(a, b),
            (RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b, true) => RelativeCupedRatioVariance(a, b),
            (_, _, true) => DeltaMethod.VarianceOfRatio(
                treatment.UnadjustedMean, treatment.Variance / treatment.N,
                control.UnadjustedMean, control.Variance / control.N, 0),
            _ => treatment.Variance / treatment.N + control.Variance / control.N,
        };

    /// <summary>
    /// Relative CUPED variance exactly as gbstats computes it: the gradient for the control post mean is taken
    /// as −ȳ_b/ȳ_a², which drops the θ(x̄_b − x̄_a) term of the full delta method (about 1% on typical data).
    /// We match the code, not the docs, so numbers agree with GrowthBook.
    /// </summary>
    private static double RelativeCupedVariance(RegressionAdjustedStatistic a, RegressionAdjustedStatistic b)
    {
        var controlMean = a.UnadjustedMean;
        var denominatorTreatment = b.N * controlMean * controlMean;
        var denominatorControl = a.N * controlMean * controlMean;
        if (denominatorTreatment == 0 || denominatorControl == 0)
        {
            return 0;
        }

        var theta = a.Theta ?? 0;
        var treatmentPart = (b.Post.Variance + theta * theta * b.Pre.Variance - 2 * theta * b.Covariance) / denominatorTreatment;
        var gradient = -b.Post.Mean;
        var controlPart =
            (a.Post.Variance * gradient * gradient / (a.Post.Mean * a.Post.Mean)
             + 2 * theta * a.Covariance * gradient / a.Post.Mean
             + theta * theta * a.Pre.Variance) / denominatorControl;
        return treatmentPart + controlPart;
    }

    /// <summary>Relative ratio-CUPED variance by the full delta method; the sign of the baseline is folded into the gradient.</summary>
    private static double RelativeCupedRatioVariance(RegressionAdjustedRatioStatistic a, RegressionAdjustedRatioStatistic b)
    {
        if (a.UnadjustedMean == 0 || a.DenominatorPost.Mean == 0)
        {
            return 0;
        }

        var difference = (b.Mean - a.Mean) * Math.Sign(a.UnadjustedMean);
        var baseline = Math.Abs(a.UnadjustedMean);
        var baselineSquared = baseline * baseline;
        var mPost = a.NumeratorPost.Mean;
        var dPost = a.DenominatorPost.Mean;
        var gradientA = a.Gradient();
        double[] controlGradient =
        [
            -(baseline + difference) / dPost / baselineSquared,
            (mPost * baseline / (dPost * dPost) + mPost * difference / (dPost * dPost)) / baselineSquared,
            -gradientA[2] / baseline,
            -gradientA[3] / baseline,
        ];
        var treatmentGradient = b.Gradient().Select(g => g / baseline).ToArray();
        return RegressionAdjustedRatioStatistic.QuadraticForm(controlGradient, a.LambdaMatrix(), 0, 4, 0, 4) / a.N
            + RegressionAdjustedRatioStatistic.QuadraticForm(treatmentGradient, b.LambdaMatrix(), 0, 4, 0, 4) / b.N;
    }
}
