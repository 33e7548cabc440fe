using Lodestar.Core.Statistics;

namespace Lodestar.Core.Tests.Statistics;

public class ThompsonSamplingBanditTests
{
    // gbstats TestBanditMinVariationWeightFloor: one dominant arm, so several raw weights fall below the floor.
    private static readonly IReadOnlyList<BanditArm> DominantArm = BanditArm.FromStatistics(
    [
        new SampleMeanStatistic(1000, 10, 2000),
        new SampleMeanStatistic(1000, 20, 2000),
        new SampleMeanStatistic(1000, 30, 2000),
        new SampleMeanStatistic(1000, 300, 20000),
    ]);

    private static double[] Weights(double floor) =>
        [.. ThompsonSamplingBandit.Run(DominantArm, new BanditOptions { TopTwo = true, MinVariationWeight = floor }).Weights!];

    [Fact]
    public void Floor_IsAdditiveOnTheSimplex()
    {
        const double floor = 0.1;
        var pure = Weights(0);
        var floored = Weights(floor);
        Assert.All(floored, p => Assert.True(p >= floor - 1e-9));
        Assert.Equal(1, floored.Sum(), 9);
        for (var i = 0; i < pure.Length; i++)
        {
            Assert.Equal(floor + (1 - 4 * floor) * pure[i], floored[i], 9);
        }
    }

    [Fact]
    public void Floor_TooLargeToFit_FallsBackToUniform() =>
        Assert.All(Weights(0.5), p => Assert.Equal(0.25, p, 9));

    [Fact]
    public void Floor_Negative_IsTreatedAsNone()
    {
        var pure = Weights(0);
        var negative = Weights(-0.3);
        Assert.Equal(1, negative.Sum(), 9);
        for (var i = 0; i < pure.Length; i++)
        {
            Assert.Equal(pure[i], negative[i], 9);
        }
    }

    [Fact]
    public void BestArmProbabilities_MatchTheExactTwoArmIntegral()
    {
        // For two independent normal posteriors, P(arm 1 is best) = Φ((μ₁ − μ₀)/√(σ₀² + σ₁²)).
        BanditArm[] arms = [new(500, 0.10, 0.09), new(500, 0.115, 0.1)];
        var result = ThompsonSamplingBandit.Run(arms, new BanditOptions { Seed = 7 });
        var s = result.Arms;
        var exact = MathNet.Numerics.Distributions.Normal.CDF(0, 1,
            (s[1].PosteriorMean - s[0].PosteriorMean) / Math.Sqrt(Math.Pow(s[0].PosteriorStdDev, 2) + Math.Pow(s[1].PosteriorStdDev, 2)));

        // 10,000 draws: the Monte Carlo standard error is at most 0.005.
        Assert.InRange(result.BestArmProbabilities[1], exact - 0.02, exact + 0.02);
        Assert.Equal(1, result.BestArmProbabilities.Sum(), 12);
    }

    [Fact]
    public void PosteriorAndInterval_FollowTheN0_1e4Prior()
    {
        BanditArm[] arms = [new(200, 2.5, 4), new(200, 3, 4)];
        var result = ThompsonSamplingBandit.Run(arms, new BanditOptions());
        var precision = 1e-4 + 200 / 4.0;
        Assert.Equal(50 / precision * 2.5, result.Arms[0].PosteriorMean, 12);
        Assert.Equal(Math.Sqrt(1 / precision), result.Arms[0].PosteriorStdDev, 12);

        // The interval is centred on the data mean, not the posterior mean (as upstream).
        Assert.Equal(2.5, (result.Arms[0].CiLower + result.Arms[0].CiUpper) / 2, 12);
    }

    [Fact]
    public void SameSeed_GivesSameWeights_AndInverseFavoursTheLowerArm()
    {
        BanditArm[] arms = [new(1000, 1.0, 1), new(1000, 1.1, 1)];
        var first = ThompsonSamplingBandit.Run(arms, new BanditOptions { Seed = 42 });
        var again = ThompsonSamplingBandit.Run(arms, new BanditOptions { Seed = 42 });
        Assert.Equal(first.Weights, again.Weights);
        Assert.True(first.Weights![1] > first.Weights[0]);

        var inverse = ThompsonSamplingBandit.Run(arms, new BanditOptions { Seed = 42, Inverse = true });
        Assert.True(inverse.Weights![0] > inverse.Weights[1]);
    }

    [Fact]
    public void FewerThan100UnitsInAnArm_KeepsWeightsUnchanged()
    {
        BanditArm[] arms = [new(99, 1.0, 1), new(1000, 1.1, 1)];
        var result = ThompsonSamplingBandit.Run(arms, new BanditOptions());
        Assert.Null(result.Weights);
        Assert.False(result.EnoughUnits);
        Assert.Equal(BanditResult.NotEnoughUnits, result.UpdateMessage);
    }

    [Fact]
    public void SimulatedApp_MovesTrafficToTheBetterArm()
    {
        // A two-arm app whose treatment converts at 12% against 10%, re-weighted daily for 14 days.
        var random = new Random(2024);
        double[] rates = [0.10, 0.12];
        double[] users = [0, 0];
        double[] conversions = [0, 0];
        double[] weights = [0.5, 0.5];
        for (var day = 0; day < 14; day++)
        {
            for (var visitor = 0; visitor < 2000; visitor++)
            {
                var arm = random.NextDouble() < weights[0] ? 0 : 1;
                users[arm]++;
                if (random.NextDouble() < rates[arm])
                {
                    conversions[arm]++;
                }
            }

            var statistics = users.Select((n, i) => (ArmStatistic)new ProportionStatistic(n, conversions[i])).ToList();
            var result = ThompsonSamplingBandit.Run(BanditArm.FromStatistics(statistics), new BanditOptions { Seed = day + 1 });
            weights = [.. result.Weights ?? weights];
        }

        Assert.True(weights[1] > 0.8, $"the better arm should get most traffic, got {weights[1]:F3}");
        Assert.True(weights[0] >= 0.01 - 1e-12, "the floor keeps the worse arm alive");
    }
}
