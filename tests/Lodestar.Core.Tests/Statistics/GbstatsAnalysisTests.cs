using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>
/// End-to-end cases from gbstats <c>tests/test_gbstats.py</c> (analyze_metric_df), asserted to the 9 decimals
/// upstream uses — 6 or more significant digits for all but the tiniest p-value.
/// </summary>
public class GbstatsAnalysisTests
{
    private static readonly MetricDefinition CountMetric = new(MetricStatistic.Mean, MetricKind.Count);
    private static readonly MetricDefinition RatioMetric = new(MetricStatistic.Ratio, MetricKind.Count, MetricKind.Count);
    private static readonly AnalysisOptions Bayesian = new();
    private static readonly AnalysisOptions Frequentist = new() { Engine = StatsEngine.Frequentist };

    // Dimension "one" of upstream's MULTI_DIMENSION_STATISTICS_DF.
    private static readonly VariationAggregate[] DimensionOne =
    [
        new() { Users = 100, Count = 100, MainSum = 270, MainSumSquares = 848.79 },
        new() { Users = 120, Count = 120, MainSum = 300, MainSumSquares = 869 },
    ];

    private static readonly VariationAggregate[] RatioRows =
    [
        new() { Users = 100, Count = 100, MainSum = 270, MainSumSquares = 848.79, DenominatorSum = 510, DenominatorSumSquares = 810, MainDenominatorSumProduct = -900 },
        new() { Users = 120, Count = 120, MainSum = 300, MainSumSquares = 869, DenominatorSum = 500, DenominatorSumSquares = 800, MainDenominatorSumProduct = -905 },
    ];

    private static readonly VariationAggregate[] CupedRows =
    [
        new() { Users = 3001, Count = 3001, MainSum = 300, MainSumSquares = 600, CovariateSum = 210, CovariateSumSquares = 415, MainCovariateSumProduct = -20 },
        new() { Users = 3000, Count = 3000, MainSum = 222, MainSumSquares = 555, CovariateSum = 120, CovariateSumSquares = 405, MainCovariateSumProduct = -10 },
    ];

    private static readonly VariationAggregate[] RatioCupedRows =
    [
        new()
        {
            Users = 100, Count = 100, MainSum = 485.112236689623, MainSumSquares = 2715.484666118136,
            DenominatorSum = 679.9093275844917, DenominatorSumSquares = 4939.424001640236,
            CovariateSum = 192.59138069991536, CovariateSumSquares = 460.076026390857,
            DenominatorPreSum = 290.1398399750233, DenominatorPreSumSquares = 920.9461385038898,
            MainCovariateSumProduct = 1113.6215759318352, MainDenominatorSumProduct = 3602.146836776702,
            MainPostDenominatorPreSumProduct = 1559.2878434944676, MainPreDenominatorPostSumProduct = 1460.3181079276983,
            MainPreDenominatorPreSumProduct = 634.239482353647, DenominatorPostDenominatorPreSumProduct = 2130.9404074446747,
        },
        new()
        {
            Users = 100, Count = 100, MainSum = 514.7757826608777, MainSumSquares = 2994.897482705013,
            DenominatorSum = 705.4090874383759, DenominatorSumSquares = 5291.36604146392,
            CovariateSum = 206.94157227402536, CovariateSumSquares = 514.2903702246757,
            DenominatorPreSum = 302.54389139107326, DenominatorPreSumSquares = 994.4506208125663,
            MainCovariateSumProduct = 1237.0953021125997, MainDenominatorSumProduct = 3918.1561431600717,
            MainPostDenominatorPreSumProduct = 1701.0287270040265, MainPreDenominatorPostSumProduct = 1604.075950326651,
            MainPreDenominatorPreSumProduct = 698.4173425817913, DenominatorPostDenominatorPreSumProduct = 2292.081739775257,
        },
    ];

    [Fact]
    public void Bayesian_CountMetric_MatchesGbstats()
    {
        var result = ExperimentAnalyzer.Analyze(CountMetric, Bayesian, DimensionOne);
        Expect.Rounded(2.7, result.Variations[0].Cr, 9);
        Expect.Rounded(2.5, result.Variations[1].Cr, 9);
        var b = result.Variations[1].Bayesian!;
        Expect.Rounded(0.075691131, b.RiskTreatment, 9, "risk[1]");
        Expect.Rounded(-0.074074074, b.Expected, 9, "expected");
        Expect.Rounded(0.071834168, b.ChanceToWin, 9, "chanceToWin");
        Assert.Null(result.Variations[0].Bayesian);
    }

    [Fact]
    public void Bayesian_RatioMetric_MatchesGbstats()
    {
        var result = ExperimentAnalyzer.Analyze(RatioMetric, Bayesian, RatioRows);
        Expect.Rounded(0.529411765, result.Variations[0].Cr, 9);
        Expect.Rounded(0.6, result.Variations[1].Cr, 9);
        var b = result.Variations[1].Bayesian!;
        Expect.Rounded(0.050934045, b.RiskTreatment, 9, "risk[1]");
        Expect.Rounded(0.133333333, b.Expected, 9, "expected");
        Expect.Rounded(0.694926359, b.ChanceToWin, 9, "chanceToWin");
    }

    [Fact]
    public void Bayesian_InverseMetric_FlipsChanceToWinAndRisk()
    {
        var result = ExperimentAnalyzer.Analyze(CountMetric with { Inverse = true }, Bayesian, DimensionOne);
        var b = result.Variations[1].Bayesian!;
        Expect.Rounded(0.001617057, b.RiskTreatment, 9, "risk[1]");
        Expect.Rounded(-0.074074074, b.Expected, 9, "expected");
        Expect.Rounded(1 - 0.071834168, b.ChanceToWin, 9, "chanceToWin");
    }

    [Fact]
    public void Bayesian_SingleUserArm_ReturnsDefaultOutput()
    {
        VariationAggregate[] rows =
        [
            new() { Users = 3, Count = 3, MainSum = 20, MainSumSquares = 443 },
            new() { Users = 1, Count = 1, MainSum = 1, MainSumSquares = 1 },
        ];
        var result = ExperimentAnalyzer.Analyze(CountMetric with { Inverse = true }, Bayesian, rows);
        Expect.Rounded(6.666666667, result.Variations[0].Cr, 9);
        Expect.Rounded(1, result.Variations[1].Cr, 9);
        var b = result.Variations[1].Bayesian!;
        Assert.Equal(0, b.RiskTreatment);
        Assert.Equal(0, b.Expected);
        Assert.Equal(0.5, b.ChanceToWin);
        Assert.Equal(StatisticsErrors.ZeroNegativeVariance, b.ErrorMessage);
    }

    [Fact]
    public void Bayesian_RatioWithZeroBaselineDenominator_ReturnsDefaultOutput()
    {
        var rows = new[] { RatioRows[0] with { DenominatorSum = 0, DenominatorSumSquares = 0, MainDenominatorSumProduct = 0 }, RatioRows[1] };
        var result = ExperimentAnalyzer.Analyze(RatioMetric, Bayesian, rows);
        Assert.Equal(0, result.Variations[0].Cr);
        Expect.Rounded(0.6, result.Variations[1].Cr, 9);
        Assert.Equal(0.5, result.Variations[1].Bayesian!.ChanceToWin);
        Assert.Equal(0, result.Variations[1].Bayesian!.Expected);
        Assert.NotNull(result.Variations[1].Bayesian!.ErrorMessage);
    }

    [Fact]
    public void Frequentist_CountMetric_MatchesGbstats()
    {
        var result = ExperimentAnalyzer.Analyze(CountMetric, Frequentist, DimensionOne);
        var f = result.Variations[1].Frequentist!;
        Expect.Rounded(-0.074074074, f.Expected, 9, "expected");
        Expect.Rounded(0.145219005, f.PValue!.Value, 9, "pValue");
    }

    [Fact]
    public void Frequentist_RatioMetric_MatchesGbstats()
    {
        var f = ExperimentAnalyzer.Analyze(RatioMetric, Frequentist, RatioRows).Variations[1].Frequentist!;
        Expect.Rounded(0.133333333, f.Expected, 9, "expected");
        Expect.Rounded(0.610663339, f.PValue!.Value, 9, "pValue");
    }

    [Fact]
    public void Frequentist_ZeroBaselineDenominator_HasPValueOne()
    {
        var rows = new[] { RatioRows[0] with { DenominatorSum = 0, DenominatorSumSquares = 0, MainDenominatorSumProduct = 0 }, RatioRows[1] };
        var f = ExperimentAnalyzer.Analyze(RatioMetric, Frequentist, rows).Variations[1].Frequentist!;
        Assert.Equal(0, f.Expected);
        Assert.Equal(1, f.PValue);
    }

    [Fact]
    public void Frequentist_Cuped_MatchesGbstatsAndReportsUnadjustedMeans()
    {
        var result = ExperimentAnalyzer.Analyze(CountMetric, Frequentist with { RegressionAdjusted = true }, CupedRows);
        Expect.Rounded(0.099966678, result.Variations[0].Cr, 9);
        Expect.Rounded(0.099966678, result.Variations[0].Stats.Mean, 9);
        Expect.Rounded(0.074, result.Variations[1].Cr, 9);
        var f = result.Variations[1].Frequentist!;
        Expect.Rounded(-0.281707154, f.Expected, 9, "expected");
        Expect.Rounded(0.003732549, f.PValue!.Value, 9, "pValue");
    }

    [Fact]
    public void Frequentist_CupedProportions_MatchesGbstats()
    {
        var metric = new MetricDefinition(MetricStatistic.Mean, MetricKind.Binomial, Covariate: MetricKind.Binomial);
        var rows = CupedRows.Select(r => r with { MainSumSquares = 0, CovariateSumSquares = 0 }).ToArray();
        var result = ExperimentAnalyzer.Analyze(metric, Frequentist with { RegressionAdjusted = true }, rows);
        Expect.Rounded(0.099966678, result.Variations[0].Cr, 9);
        var f = result.Variations[1].Frequentist!;
        Expect.Rounded(-0.31620216, f.Expected, 9, "expected");
        Expect.Rounded(0.000000353, f.PValue!.Value, 9, "pValue");
    }

    [Fact]
    public void Frequentist_RatioCuped_MatchesGbstats()
    {
        var result = ExperimentAnalyzer.Analyze(RatioMetric, Frequentist with { RegressionAdjusted = true }, RatioCupedRows);
        Expect.Rounded(0.713495487, result.Variations[0].Cr, 9);
        Expect.Rounded(0.713495487, result.Variations[0].Stats.Mean, 9);
        Expect.Rounded(0.729754963, result.Variations[1].Cr, 9);
        var f = result.Variations[1].Frequentist!;
        Expect.Rounded(-0.000701483, f.Expected, 9, "expected");
        Expect.Rounded(0.857710405, f.PValue!.Value, 9, "pValue");
    }

    [Fact]
    public void Sequential_MatchesGbstatsAndLowTuningWidensInterval()
    {
        var options = Frequentist with { SequentialTesting = true, SequentialTuningParameter = 600 };
        var f = ExperimentAnalyzer.Analyze(CountMetric, options, DimensionOne).Variations[1].Frequentist!;
        Expect.Rounded(-0.074074074, f.Expected, 9, "expected");
        Expect.Rounded(0.892332229, f.PValue!.Value, 9, "pValue");
        Expect.Rounded(-0.233322085, f.CiLower, 9, "ci lower");

        var badTuning = ExperimentAnalyzer.Analyze(CountMetric, options with { SequentialTuningParameter = 1 }, DimensionOne).Variations[1].Frequentist!;
        Assert.True(f.CiLower > badTuning.CiLower);
    }

    [Fact]
    public void ThreeArmCuped_BaselineStdDevUsesTheLastPairsTheta()
    {
        VariationAggregate[] rows =
        [
            CupedRows[0],
            CupedRows[1],
            new() { Users = 4000, Count = 4000, MainSum = 450, MainSumSquares = 900, CovariateSum = 300, CovariateSumSquares = 600, MainCovariateSumProduct = -30 },
        ];
        var options = Frequentist with { RegressionAdjusted = true, Weights = [1 / 3.0, 1 / 3.0, 1 / 3.0] };
        var result = ExperimentAnalyzer.Analyze(CountMetric, options, rows);

        Assert.Equal(new MetricSummary(3001, 3001, result.Variations[0].Stats.StdDev, result.Variations[0].Stats.Mean), result.Variations[0].Stats);
        Expect.Rounded(0.434288923, result.Variations[0].Stats.StdDev, 9, "baseline stddev");
        Expect.Rounded(0.099966678, result.Variations[0].Stats.Mean, 9, "baseline mean");
        Expect.Rounded(0.423529598, result.Variations[1].Stats.StdDev, 9, "v1 stddev");
        Expect.Rounded(0.074, result.Variations[1].Stats.Mean, 9, "v1 mean");
        Expect.Rounded(0.458953951, result.Variations[2].Stats.StdDev, 9, "v2 stddev");
        Expect.Rounded(0.1125, result.Variations[2].Stats.Mean, 9, "v2 mean");

        var withoutCuped = ExperimentAnalyzer.Analyze(CountMetric, options with { RegressionAdjusted = false }, rows);
        Assert.NotEqual(Math.Round(withoutCuped.Variations[0].Stats.StdDev, 9), Math.Round(result.Variations[0].Stats.StdDev, 9));

        var zeroVsTwo = ExperimentAnalyzer.Analyze(CountMetric, options with { Weights = [0.5, 0.5] }, [rows[0], rows[2]]);
        Expect.Rounded(zeroVsTwo.Variations[0].Stats.StdDev, result.Variations[0].Stats.StdDev, 12, "baseline stddev vs 0-2 pair");
    }
}
