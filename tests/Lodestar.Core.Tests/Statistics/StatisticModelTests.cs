using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>Cases from gbstats <c>tests/test_shared_models.py</c>: the statistics agree with raw-data formulas.</summary>
public class StatisticModelTests
{
    private static readonly double[] Metric1 = [0.3, 0.5, 0.9, 22];
    private static readonly double[] Metric3 = [2, 1, 5, 3];

    private static SampleMeanStatistic FromData(double[] x) => new(x.Length, x.Sum(), x.Sum(v => v * v));

    private static double SampleVariance(double[] x)
    {
        var mean = x.Average();
        return x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
    }

    [Fact]
    public void SampleMean_MatchesRawDataMeanAndVariance()
    {
        var stat = FromData(Metric1);
        Assert.Equal(Metric1.Average(), stat.Mean, 12);
        Assert.Equal(SampleVariance(Metric1), stat.Variance, 12);
        Assert.Equal(stat.Mean, stat.UnadjustedMean);
        Assert.Equal(0, new SampleMeanStatistic(1, Metric1.Sum(), Metric1.Sum(v => v * v)).Variance);
    }

    [Fact]
    public void Proportion_UsesPopulationVariance()
    {
        var stat = new ProportionStatistic(4, 3);
        Assert.Equal(stat.Sum, stat.SumSquares);
        Assert.Equal(0.75, stat.Mean);
        Assert.Equal(0.75 * 0.25, stat.Variance, 15);
    }

    [Fact]
    public void Ratio_CovarianceMatchesRawData()
    {
        var products = Metric1.Zip(Metric3, (a, b) => a * b).Sum();
        var stat = new RatioStatistic(4, FromData(Metric1), FromData(Metric3), products);
        var m1 = Metric1.Average();
        var m3 = Metric3.Average();
        var covariance = Metric1.Zip(Metric3, (a, b) => (a - m1) * (b - m3)).Sum() / 3;
        Assert.Equal(covariance, stat.Covariance, 10);
        Assert.Equal(stat.Mean, stat.UnadjustedMean);
    }

    [Fact]
    public void Ratio_ZeroDenominator_HasZeroVariance()
    {
        var stat = new RatioStatistic(4, FromData(Metric1), new SampleMeanStatistic(4, 0, Metric3.Sum(v => v * v)), 1);
        Assert.Equal(0, stat.Variance);
    }

    [Fact]
    public void RegressionAdjusted_ThetaZeroIsThePostStatistic_OtherwiseAdjusts()
    {
        var products = Metric1.Zip(Metric3, (a, b) => a * b).Sum();
        var unadjusted = new RegressionAdjustedStatistic(4, FromData(Metric3), FromData(Metric1), products, 0);
        Assert.Equal(Metric3.Average(), unadjusted.Mean, 12);
        Assert.Equal(unadjusted.Post.Variance, unadjusted.Variance, 12);

        var adjusted = unadjusted with { Theta = 0.23 };
        Assert.NotEqual(adjusted.UnadjustedMean, adjusted.Mean);
        Assert.NotEqual(adjusted.Post.Variance, adjusted.Variance);
        Assert.Equal(Metric3.Average(), adjusted.UnadjustedMean, 12);

        var singleUnit = new RegressionAdjustedStatistic(1, new SampleMeanStatistic(1, 11, 39), new SampleMeanStatistic(1, 23.7, 485.15), products, 0.3);
        Assert.Equal(0, singleUnit.Variance);
    }

    [Fact]
    public void Theta_PoolsBothArms_AndIsZeroWithoutPreVariance()
    {
        var products = Metric1.Zip(Metric3, (a, b) => a * b).Sum();
        var arm = new RegressionAdjustedStatistic(4, FromData(Metric3), FromData(Metric1), products, 999);
        Expect.Rounded(0.01864, CupedTheta.ForMeans(arm, arm), 5);

        var noPre = new RegressionAdjustedStatistic(4, FromData(Metric3), new SampleMeanStatistic(4, 0, 0), 0, 999);
        Assert.Equal(0, CupedTheta.ForMeans(noPre, noPre));

        // Without pre-period information both arms fall back to the plain post statistic.
        var (control, treatment) = CupedTheta.Apply(noPre with { Theta = null }, noPre with { Theta = null });
        Assert.IsType<SampleMeanStatistic>(control);
        Assert.IsType<SampleMeanStatistic>(treatment);
    }

    [Fact]
    public void NegativeVariance_IsReportedAsAnError()
    {
        var a = new RegressionAdjustedStatistic(4, new ProportionStatistic(4, -7), new ProportionStatistic(4, 0), 0, null);
        var b = new RegressionAdjustedStatistic(3, new ProportionStatistic(3, 1), new ProportionStatistic(3, 1), 1, null);
        var (control, treatment) = CupedTheta.Apply(a, b);
        Expect.SixDigits(-1.1023019547325101, EffectMoments.Variance(control, treatment, relative: false));
        Assert.Equal(StatisticsErrors.ZeroNegativeVariance, EffectMoments.Compute(control, treatment, relative: false).ErrorMessage);
    }

    [Theory]
    [InlineData(-10, -5)]
    [InlineData(-10, -15)]
    [InlineData(-2, 3)]
    [InlineData(10, 15)]
    [InlineData(10, 5)]
    public void RelativeLift_KeepsTheSignOfTheAbsoluteDifference(double meanA, double meanB)
    {
        const int n = 1000;
        var a = new SampleMeanStatistic(n, meanA * n, (meanA * meanA + 4) * n);
        var b = new SampleMeanStatistic(n, meanB * n, (meanB * meanB + 4) * n);
        var absolute = EffectMoments.Compute(a, b, relative: false);
        var relative = EffectMoments.Compute(a, b, relative: true);
        Assert.Null(absolute.ErrorMessage);
        Assert.Null(relative.ErrorMessage);
        Assert.Equal(Math.Sign(absolute.PointEstimate), Math.Sign(relative.PointEstimate));
        Assert.Equal((meanB - meanA) / Math.Abs(meanA), relative.PointEstimate, 12);
        Assert.True(relative.StandardError > 0);
    }

    private static RegressionAdjustedRatioStatistic RatioCupedFromData(double[] mPost, double[] dPost, double[] mPre, double[] dPre)
    {
        static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();
        return new RegressionAdjustedRatioStatistic(
            mPost.Length, FromData(mPost), FromData(dPost), FromData(mPre), FromData(dPre),
            NumeratorPostNumeratorPreSumOfProducts: Dot(mPost, mPre),
            DenominatorPostDenominatorPreSumOfProducts: Dot(dPost, dPre),
            NumeratorPreDenominatorPreSumOfProducts: Dot(mPre, dPre),
            NumeratorPostDenominatorPostSumOfProducts: Dot(mPost, dPost),
            NumeratorPostDenominatorPreSumOfProducts: Dot(mPost, dPre),
            NumeratorPreDenominatorPostSumOfProducts: Dot(mPre, dPost),
            Theta: 0.5);
    }

    [Theory]
    [InlineData(new double[] { 17, 12, 23, 28, 12, 22, 29, 16 }, 0.1039280, 0.0286196)]
    [InlineData(new double[] { 14, 9, 17, 23, 9, 18, 22, 13 }, -0.1372068, 0.0223934)]
    public void RatioCuped_NegatingTheMetric_NegatesLiftAndKeepsStandardError(double[] mPostB, double expectedLift, double expectedSe)
    {
        EffectEstimate Moments(int sign)
        {
            double[] Signed(double[] x) => x.Select(v => sign * v).ToArray();
            var a = RatioCupedFromData(
                Signed([12, 19, 16, 24, 21, 9, 14, 26]), [1, 2, 1.5, 2.5, 2, 1, 1.5, 2.5],
                Signed([16, 11, 21, 19, 26, 11, 9, 21]), [1.5, 1, 2, 2, 2.5, 1, 1, 2]);
            var b = RatioCupedFromData(
                Signed(mPostB), [1.5, 1, 2, 2.5, 1, 2, 2.5, 1.5],
                Signed([11, 17, 22, 27, 10, 27, 21, 16]), [1, 1.5, 2, 2.5, 1, 2.5, 2, 1.5]);
            return EffectMoments.Compute(a, b, relative: true);
        }

        var positive = Moments(1);
        var negative = Moments(-1);
        Assert.Null(positive.ErrorMessage);
        Assert.Null(negative.ErrorMessage);
        Expect.Rounded(expectedLift, positive.PointEstimate, 7, "lift");
        Expect.Rounded(expectedSe, positive.StandardError, 7, "standard error");
        Assert.Equal(-positive.PointEstimate, negative.PointEstimate, 12);
        Assert.Equal(positive.StandardError, negative.StandardError, 12);
    }
}
