using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>Cases from gbstats <c>tests/bayesian/test_tests.py</c> (the quantile cases are out of scope).</summary>
public class GbstatsBayesianTests
{
    private static void AssertRounded(BayesianResult result, double expected, double lower, double upper, double stddev, double ctw, double riskControl, double riskTreatment)
    {
        Assert.Null(result.ErrorMessage);
        Expect.Rounded(expected, result.Expected, 5, "expected");
        Expect.Rounded(expected, result.UpliftMean, 5, "uplift.mean");
        Expect.Rounded(lower, result.CiLower, 5, "ci lower");
        Expect.Rounded(upper, result.CiUpper, 5, "ci upper");
        Expect.Rounded(stddev, result.UpliftStdDev, 5, "uplift.stddev");
        Expect.Rounded(ctw, result.ChanceToWin, 5, "chanceToWin");
        Expect.Rounded(riskControl, result.RiskControl, 5, "risk[0]");
        Expect.Rounded(riskTreatment, result.RiskTreatment, 5, "risk[1]");
        Assert.Equal("relative", result.RiskType);
    }

    [Fact]
    public void Binomial_ImproperPrior_MatchesGbstats()
    {
        var result = BayesianTest.Run(new ProportionStatistic(100, 49), new ProportionStatistic(100, 51), new BayesianOptions());
        AssertRounded(result, 0.04082, -0.24779, 0.32943, 0.14725, 0.60918, 0.0814, 0.04058);
    }

    [Fact]
    public void Binomial_NoData_GivesCoinFlip()
    {
        var result = BayesianTest.Run(new ProportionStatistic(0, 0), new ProportionStatistic(0, 0), new BayesianOptions());
        Assert.Equal(0.5, result.ChanceToWin);
        Assert.Equal(0, result.Expected);
        Assert.Equal(StatisticsErrors.ZeroNegativeVariance, result.ErrorMessage);
    }

    [Fact]
    public void Gaussian_ImproperPrior_MatchesGbstats()
    {
        var result = BayesianTest.Run(new SampleMeanStatistic(10, 100, 1002.25), new SampleMeanStatistic(10, 105, 1111.5), new BayesianOptions());
        AssertRounded(result, 0.05, -0.02, 0.12, 0.03572, 0.91923, 0.05131, 0.00131);
    }

    [Fact]
    public void Gaussian_InformativePrior_ShrinksTowardPriorMean()
    {
        var options = new BayesianOptions { Prior = new GaussianPrior(0.1, 0.1, Proper: true) };
        var result = BayesianTest.Run(new SampleMeanStatistic(10, 100, 1002.25), new SampleMeanStatistic(10, 105, 1111.5), options);
        AssertRounded(result, 0.05063, -0.01893, 0.12019, 0.03549, 0.92315, 0.05186, 0.00123);
    }

    [Fact]
    public void Gaussian_NoData_GivesCoinFlip()
    {
        var result = BayesianTest.Run(new SampleMeanStatistic(0, 0, 0), new SampleMeanStatistic(0, 0, 0), new BayesianOptions());
        Assert.Equal(0.5, result.ChanceToWin);
        Assert.Equal(0, result.Expected);
    }

    [Fact]
    public void ProperPrior_OnAbsoluteScale_IsRescaledSoChanceToWinBarelyMoves()
    {
        var control = new SampleMeanStatistic(100, 1000, 200000);
        var treatment = new SampleMeanStatistic(100, 1100, 200005);
        var prior = new GaussianPrior(1, 1, Proper: true);
        var absolute = BayesianTest.Run(control, treatment, new BayesianOptions { DifferenceType = DifferenceType.Absolute, Prior = prior });
        var relative = BayesianTest.Run(control, treatment, new BayesianOptions { Prior = prior });
        Expect.Rounded(relative.ChanceToWin, absolute.ChanceToWin, 2, "chanceToWin");
        Assert.Equal("absolute", absolute.RiskType);
    }

    [Fact]
    public void Risk_FarInTheTail_ShortCircuitsToTheLimit()
    {
        Assert.Equal((0.01, 0.0), BayesianTest.Risk(0.01, 4.5e-9));
        Assert.Equal((0.0, 0.01), BayesianTest.Risk(-0.01, 4.5e-9));
    }

    [Fact]
    public void Risk_NormalRegime_MatchesGbstatsTruncatedNormalMeans()
    {
        var (control, treatment) = BayesianTest.Risk(0.1, 0.05);
        Expect.Rounded(0.1004245351308, control, 10, "risk control");
        Expect.Rounded(0.0004245351308414, treatment, 10, "risk treatment");
    }

    [Fact]
    public void Risk_AgreesWithMonteCarloExpectedLoss()
    {
        // The same check gbstats makes against 1e7 draws, here with 2e5 seeded draws and a matching tolerance.
        const double mean = 0.03, sd = 0.05;
        var random = new Random(20240329);
        double lossControl = 0, lossTreatment = 0;
        const int draws = 200_000;
        for (var i = 0; i < draws; i++)
        {
            var x = mean + sd * MathNet.Numerics.Distributions.Normal.Sample(random, 0, 1);
            lossControl += Math.Max(x, 0);
            lossTreatment += Math.Max(-x, 0);
        }

        var (control, treatment) = BayesianTest.Risk(mean, sd);
        Assert.InRange(control, lossControl / draws - 5e-4, lossControl / draws + 5e-4);
        Assert.InRange(treatment, lossTreatment / draws - 5e-4, lossTreatment / draws + 5e-4);
    }
}
