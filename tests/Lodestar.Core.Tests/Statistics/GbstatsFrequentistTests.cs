using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>Cases from gbstats <c>tests/frequentist/test_tests.py</c>.</summary>
public class GbstatsFrequentistTests
{
    private static readonly SampleMeanStatistic ControlSmall = new(3407, 1396.87, 52377.9767);
    private static readonly SampleMeanStatistic Control = new(3000, 1396.87, 52377.9767);
    private static readonly SampleMeanStatistic Treatment = new(3461, 2422.7, 134698.29);

    private static readonly FrequentistOptions Relative = new();
    private static readonly FrequentistOptions Absolute = new() { DifferenceType = DifferenceType.Absolute };

    private static void AssertRounded(FrequentistResult result, double expected, double lower, double upper, double stddev, double? pValue, int decimals = 5)
    {
        Assert.Null(result.ErrorMessage);
        Expect.Rounded(expected, result.Expected, decimals, "expected");
        Expect.Rounded(expected, result.UpliftMean, decimals, "uplift.mean");
        Expect.Rounded(lower, result.CiLower, decimals, "ci lower");
        Expect.Rounded(upper, result.CiUpper, decimals, "ci upper");
        Expect.Rounded(stddev, result.UpliftStdDev, decimals, "uplift.stddev");
        if (pValue is { } p)
        {
            Assert.NotNull(result.PValue);
            Expect.Rounded(p, result.PValue!.Value, decimals, "pValue");
        }
    }

    private static void AssertSixDigits(FrequentistResult result, double expected, double lower, double upper, double stddev, double pValue)
    {
        Assert.Null(result.ErrorMessage);
        Expect.SixDigits(expected, result.Expected, "expected");
        Expect.SixDigits(lower, result.CiLower, "ci lower");
        Expect.SixDigits(upper, result.CiUpper, "ci upper");
        Expect.SixDigits(stddev, result.UpliftStdDev, "uplift.stddev");
        Assert.NotNull(result.PValue);
        Expect.SixDigits(pValue, result.PValue!.Value, "pValue");
    }

    [Fact]
    public void TwoSided_Relative_MatchesGbstats()
    {
        var result = FrequentistTest.Run(ControlSmall, Treatment, Relative);
        AssertRounded(result, 0.70732, -0.03526, 1.44989, 0.37879, 0.06191);
    }

    [Fact]
    public void TwoSided_Absolute_MatchesGbstats()
    {
        var result = FrequentistTest.Run(ControlSmall, Treatment, Absolute);
        AssertRounded(result, 0.7 - 0.41, 0.04538, 0.53462, 0.12478, 0.02016);
    }

    [Fact]
    public void TwoSided_Proportions_UseStudentTWithFractionalDf()
    {
        var result = FrequentistTest.Run(new ProportionStatistic(28, 14), new ProportionStatistic(30, 16), Relative);
        AssertRounded(result, Math.Round((16.0 / 30 - 0.5) / 0.5, 5), -0.47767, 0.61101, 0.2717, 0.80707);
    }

    [Fact]
    public void TwoSided_ControlWithTwoUnits_ReturnsZeroVarianceDefault()
    {
        var result = FrequentistTest.Run(new SampleMeanStatistic(2, 1396.87, 52377.9767), Treatment, Relative);
        Assert.Equal(FrequentistResult.Default(StatisticsErrors.ZeroNegativeVariance), result);
    }

    [Fact]
    public void TwoSided_RatioCuped_MatchesGbstats()
    {
        var (control, treatment) = RatioCupedArms();
        var result = FrequentistTest.Run(control, treatment, Relative);
        AssertRounded(result, -0.0007, -0.00841, 0.00700, 0.00391, 0.85771);
    }

    [Fact]
    public void Sequential_TuningParameter1000_MatchesGbstats()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Sequential = true, SequentialTuningParameter = 1000 });
        AssertRounded(result, 0.50336, -0.55844, 1.56516, 0.33341, 1);
    }

    [Fact]
    public void Sequential_Proportions_MatchesGbstats()
    {
        var result = FrequentistTest.Run(new ProportionStatistic(3000, 1396), new ProportionStatistic(3461, 2422), Relative with { Sequential = true });
        AssertRounded(result, 0.50386, 0.40098, 0.60675, 0.03386, 0.0);
    }

    [Fact]
    public void Sequential_Cuped_MatchesGbstats()
    {
        var control = new RegressionAdjustedStatistic(3000, Control, new SampleMeanStatistic(3000, 16.87, 527.9767), 1, null);
        var treatment = new RegressionAdjustedStatistic(3461, Treatment, new SampleMeanStatistic(3461, 22.7, 1348.29), 1, null);
        var result = FrequentistTest.Run(control, treatment, Relative with { Sequential = true });
        AssertRounded(result, 0.50338, -0.50969, 1.51646, 0.33341, 1);
    }

    [Fact]
    public void Sequential_RatioCuped_MatchesGbstats()
    {
        var (control, treatment) = RatioCupedArms();
        var result = FrequentistTest.Run(control, treatment, Relative with { Sequential = true });
        AssertRounded(result, -0.0007, -0.02063, 0.01923, 0.00391, 1.0);
    }

    [Fact]
    public void Sequential_TuningNearSampleSize_GivesNarrowestInterval()
    {
        FrequentistResult Run(double tuning) => FrequentistTest.Run(Control, Treatment, Relative with { Sequential = true, SequentialTuningParameter = tuning });
        var below = Run(10);
        var near = Run(6461);
        var above = Run(10000);
        Assert.True(below.CiLower < above.CiLower && below.CiUpper > above.CiUpper);
        Assert.True(below.CiLower < near.CiLower && below.CiUpper > near.CiUpper);
        Assert.True(above.CiLower < near.CiLower && above.CiUpper > near.CiUpper);
    }

    [Fact]
    public void OneSidedGreater_Relative_MatchesGbstatsToSixDigits()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Direction = TestDirection.TreatmentGreater });
        AssertSixDigits(result, 0.5033610858562358, -0.045136675850396046, double.PositiveInfinity, 0.3334122146400735, 0.06558262868467746);
    }

    [Fact]
    public void OneSidedGreater_Absolute_MatchesGbstatsToSixDigits()
    {
        var result = FrequentistTest.Run(Control, Treatment, Absolute with { Direction = TestDirection.TreatmentGreater });
        AssertSixDigits(result, 0.23437666666666668, 0.020791480063255735, double.PositiveInfinity, 0.12983081254184736, 0.03554272489873023);
    }

    [Fact]
    public void OneSidedLesser_Relative_MatchesGbstatsToSixDigits()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Direction = TestDirection.TreatmentLesser });
        AssertSixDigits(result, 0.5033610858562358, double.NegativeInfinity, 1.0518588475628676, 0.3334122146400735, 0.9344173713153225);
    }

    [Fact]
    public void OneSidedLesser_Absolute_MatchesGbstatsToSixDigits()
    {
        var result = FrequentistTest.Run(Control, Treatment, Absolute with { Direction = TestDirection.TreatmentLesser });
        AssertSixDigits(result, 0.23437666666666668, double.NegativeInfinity, 0.44796185327007765, 0.12983081254184736, 0.9644572751012698);
    }

    [Fact]
    public void SequentialOneSidedGreater_Relative_MatchesGbstats()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Sequential = true, Direction = TestDirection.TreatmentGreater });
        AssertSixDigits(result, 0.5033610858562358, -0.42356454602790883, double.PositiveInfinity, 0.3334122146400735, 0.4999);
    }

    [Fact]
    public void SequentialOneSidedGreater_Absolute_BisectsThePValue()
    {
        var result = FrequentistTest.Run(Control, Treatment, Absolute with { Sequential = true, Direction = TestDirection.TreatmentGreater });
        Expect.SixDigits(-0.12656844172804982, result.CiLower, "ci lower");
        Assert.Equal(double.PositiveInfinity, result.CiUpper);

        // The bisection stops within 1e-6 of the crossing, so gbstats's own value is reproducible to ~5 digits.
        Expect.Rounded(0.46316491943359384, result.PValue!.Value, 5, "pValue");
    }

    [Fact]
    public void SequentialOneSidedLesser_Relative_MatchesGbstats()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Sequential = true, Direction = TestDirection.TreatmentLesser });
        AssertSixDigits(result, 0.5033610858562358, double.NegativeInfinity, 1.4302867177403806, 0.3334122146400735, 0.4999);
    }

    [Fact]
    public void SequentialOneSidedLesser_Absolute_MatchesGbstats()
    {
        var result = FrequentistTest.Run(Control, Treatment, Absolute with { Sequential = true, Direction = TestDirection.TreatmentLesser });
        AssertSixDigits(result, 0.23437666666666668, double.NegativeInfinity, 0.5953217750613832, 0.12983081254184736, 0.4999);
    }

    [Fact]
    public void SequentialOneSided_AlphaAtLeastHalf_ReportsPValueError()
    {
        var result = FrequentistTest.Run(Control, Treatment, Relative with { Sequential = true, Direction = TestDirection.TreatmentLesser, Alpha = 0.5 });
        Assert.Equal(StatisticsErrors.SequentialOneSidedAlphaTooBig, result.PValueErrorMessage);
        Assert.Equal(1, result.PValue);
    }

    internal static (RegressionAdjustedRatioStatistic Control, RegressionAdjustedRatioStatistic Treatment) RatioCupedArms() =>
    (
        new RegressionAdjustedRatioStatistic(
            100,
            new SampleMeanStatistic(100, 485.112236689623, 2715.484666118136),
            new SampleMeanStatistic(100, 679.9093275844917, 4939.424001640236),
            new SampleMeanStatistic(100, 192.59138069991536, 460.076026390857),
            new SampleMeanStatistic(100, 290.1398399750233, 920.9461385038898),
            NumeratorPostNumeratorPreSumOfProducts: 1113.6215759318352,
            DenominatorPostDenominatorPreSumOfProducts: 2130.9404074446747,
            NumeratorPreDenominatorPreSumOfProducts: 634.239482353647,
            NumeratorPostDenominatorPostSumOfProducts: 3602.146836776702,
            NumeratorPostDenominatorPreSumOfProducts: 1559.2878434944676,
            NumeratorPreDenominatorPostSumOfProducts: 1460.3181079276983,
            Theta: null),
        new RegressionAdjustedRatioStatistic(
            100,
            new SampleMeanStatistic(100, 514.7757826608777, 2994.897482705013),
            new SampleMeanStatistic(100, 705.4090874383759, 5291.36604146392),
            new SampleMeanStatistic(100, 206.94157227402536, 514.2903702246757),
            new SampleMeanStatistic(100, 302.54389139107326, 994.4506208125663),
            NumeratorPostNumeratorPreSumOfProducts: 1237.0953021125997,
            DenominatorPostDenominatorPreSumOfProducts: 2292.081739775257,
            NumeratorPreDenominatorPreSumOfProducts: 698.4173425817908,
            NumeratorPostDenominatorPostSumOfProducts: 3918.1561431600717,
            NumeratorPostDenominatorPreSumOfProducts: 1701.0287270040265,
            NumeratorPreDenominatorPostSumOfProducts: 1604.0759503266522,
            Theta: null)
    );
}
