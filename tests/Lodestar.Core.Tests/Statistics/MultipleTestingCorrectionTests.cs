using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>Cases from GrowthBook's shared <c>test/experiments.test.ts</c>.</summary>
public class MultipleTestingCorrectionTests
{
    [Fact]
    public void HolmBonferroni_MatchesGrowthBook()
    {
        var adjusted = MultipleTestingCorrection.HolmBonferroni([0.01, 0.04, 0.03, 0.005, 0.55, 0.6]);

        // Upstream lists them sorted with original indexes [3, 0, 2, 1, 4, 5] → [0.03, 0.05, 0.12, 0.12, 1, 1].
        double[] expected = [0.05, 0.12, 0.12, 0.03, 1, 1];
        for (var i = 0; i < expected.Length; i++)
        {
            Expect.Rounded(expected[i], adjusted[i], 12, $"p[{i}]");
        }
    }

    [Fact]
    public void BenjaminiHochberg_MatchesGrowthBook()
    {
        var adjusted = MultipleTestingCorrection.BenjaminiHochberg([0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138]);

        // Upstream: indexes [3, 0, 4, 1, 6, 2, 5] → [0.964, 0.964, 0.7532, 0.2415, 0.2415, 0.0245, 0.0245].
        double[] expected = [0.964, 0.2415, 0.0245, 0.964, 0.7532, 0.0245, 0.2415];
        for (var i = 0; i < expected.Length; i++)
        {
            Expect.Rounded(expected[i], adjusted[i], 8, $"p[{i}]");
        }
    }

    [Fact]
    public void TwoPValues_HolmDoublesTheSmallest_BhKeepsTheLargest()
    {
        Assert.Equal([0.05, 0.05], MultipleTestingCorrection.HolmBonferroni([0.025, 0.03]).Select(p => Math.Round(p, 12)));
        Assert.Equal([0.03, 0.03], MultipleTestingCorrection.BenjaminiHochberg([0.025, 0.03]).Select(p => Math.Round(p, 12)));
    }

    [Theory]
    [InlineData(0.049999999, 0.1, 0.05)]
    [InlineData(0.0099999999, 0.1, 0.01)]
    public void ImpliedInterval_AtThePValueThreshold_TouchesZero(double p, double lift, double alpha)
    {
        var (lower, upper) = MultipleTestingCorrection.ImpliedInterval(p, lift, alpha);
        Assert.True(lower > 0);
        Assert.True(upper < 0.2);
        Expect.Rounded(0, lower, 8);
        Expect.Rounded(0.2, upper, 8);
    }

    [Fact]
    public void AdjustedInterval_OnlyWidens_AndOpensFullyNearOne()
    {
        Assert.Equal((double.NegativeInfinity, double.PositiveInfinity), MultipleTestingCorrection.AdjustedInterval(0.9999999, 0.1, 0.05, -0.1, 0.3));

        // A smaller adjusted p-value implies a narrower interval, which is never used.
        Assert.Equal((-0.1, 0.3), MultipleTestingCorrection.AdjustedInterval(0.01, 0.1, 0.05, -0.1, 0.3));

        var (lower, upper) = MultipleTestingCorrection.AdjustedInterval(0.2, 0.1, 0.05, 0.01, 0.19);
        Assert.True(lower < 0.01 && upper > 0.19);
    }

    [Fact]
    public void Analyzer_WithHolmBonferroni_AdjustsEveryTreatmentsPValue()
    {
        var metric = new MetricDefinition(MetricStatistic.Mean, MetricKind.Binomial);
        VariationAggregate[] rows =
        [
            new() { Users = 1000, Count = 1000, MainSum = 100 },
            new() { Users = 1000, Count = 1000, MainSum = 125 },
            new() { Users = 1000, Count = 1000, MainSum = 110 },
        ];
        var options = new AnalysisOptions { Engine = StatsEngine.Frequentist, PValueCorrection = PValueCorrection.HolmBonferroni };
        var result = ExperimentAnalyzer.Analyze(metric, options, rows);
        var raw = new[] { result.Variations[1].Frequentist!.PValue!.Value, result.Variations[2].Frequentist!.PValue!.Value };
        var expected = MultipleTestingCorrection.HolmBonferroni(raw);
        Assert.Equal(expected[0], result.Variations[1].PValueAdjusted);
        Assert.Equal(expected[1], result.Variations[2].PValueAdjusted);
        Assert.Equal(2 * raw.Min(), raw.Min() == raw[0] ? expected[0] : expected[1], 12);
        Assert.Null(result.Variations[0].PValueAdjusted);
    }
}
