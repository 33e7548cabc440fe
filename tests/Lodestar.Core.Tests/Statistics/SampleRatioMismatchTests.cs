using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>Cases from GrowthBook's back-end <c>test/stats.test.ts</c> (checkSrm), asserted to 9 decimals as upstream.</summary>
public class SampleRatioMismatchTests
{
    [Theory]
    [InlineData(new double[] { 1000, 1200 }, new[] { 0.5, 0.5 }, 0.000020079)]
    [InlineData(new double[] { 135, 115 }, new[] { 0.5, 0.5 }, 0.205903211)]
    [InlineData(new double[] { 310, 98 }, new[] { 0.75, 0.25 }, 0.647434186)]
    [InlineData(new double[] { 1000, 1200, 900 }, new[] { 0.5, 0.5, 0 }, 0.000020079)]
    [InlineData(new double[] { 0, 10, 10 }, new[] { 0.34, 0.33, 0.33 }, 0.005790624)]
    [InlineData(new double[] { 500, 500, 600 }, new[] { 0.34, 0.33, 0.33 }, 0.000592638)]
    [InlineData(new double[] { 500, 500 }, new[] { 0.5, 0.5 }, 1)]
    public void PValue_MatchesGrowthBook(double[] users, double[] weights, double expected) =>
        Expect.Rounded(expected, SampleRatioMismatch.PValue(users, weights), 9);

    [Theory]
    [InlineData(new double[] { 1000 }, new[] { 0.5, 0.5 })]
    [InlineData(new double[] { 1000, 900, 800 }, new[] { 1.0, 0, 0 })]
    [InlineData(new double[] { 0, 0, 0 }, new[] { 0.34, 0.33, 0.33 })]
    public void PValue_WithoutTwoUsableArmsOrUsers_IsOne(double[] users, double[] weights) =>
        Assert.Equal(1, SampleRatioMismatch.PValue(users, weights));

    [Fact]
    public void PValue_ExtremeMismatch_KeepsDigitsBelowDoubleEpsilon()
    {
        // 1 − CDF would underflow to 0 here; the survival function keeps a meaningful value.
        var p = SampleRatioMismatch.PValue([10000, 12000], [0.5, 0.5]);
        Assert.InRange(p, 1e-45, 1e-30);
    }

    [Theory]
    [InlineData(0.0005, 2200, 2, SrmHealth.Unhealthy)]
    [InlineData(0.002, 2200, 2, SrmHealth.Healthy)]
    [InlineData(0.0005, 15, 2, SrmHealth.NotEnoughTraffic)]
    [InlineData(0.5, 16, 2, SrmHealth.Healthy)]
    public void Health_UsesThresholdAndMinimumTraffic(double p, double total, int variations, SrmHealth expected) =>
        Assert.Equal(expected, SampleRatioMismatch.Health(p, total, variations));
}
