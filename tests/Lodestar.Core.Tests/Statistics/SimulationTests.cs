using Lodestar.Core.Statistics;
using MathNet.Numerics.Distributions;

namespace Lodestar.Core.Tests.Statistics;

/// <summary>
/// Seeded Monte Carlo checks of the error rates the tests promise. Bounds are α plus three binomial standard
/// errors, so a correct engine passes with overwhelming probability and a wrong one (z instead of t, peeking
/// without a confidence sequence) fails.
/// </summary>
public class SimulationTests
{
    private const double Alpha = 0.05;

    private static SampleMeanStatistic Arm(Random random, int n, double mean, double sd)
    {
        double sum = 0, squares = 0;
        for (var i = 0; i < n; i++)
        {
            var x = Normal.Sample(random, mean, sd);
            sum += x;
            squares += x * x;
        }

        return new SampleMeanStatistic(n, sum, squares);
    }

    [Fact]
    public void AaExperiments_FrequentistFalsePositiveRate_IsAlpha()
    {
        var random = new Random(11);
        const int experiments = 2000;
        var rejections = 0;
        for (var i = 0; i < experiments; i++)
        {
            // Small, skewed-free samples where Welch's t matters.
            var result = FrequentistTest.Run(Arm(random, 30, 10, 3), Arm(random, 30, 10, 3), new FrequentistOptions());
            if (result.PValue < Alpha)
            {
                rejections++;
            }
        }

        var rate = (double)rejections / experiments;
        var margin = 3 * Math.Sqrt(Alpha * (1 - Alpha) / experiments);
        Assert.InRange(rate, Alpha - margin, Alpha + margin);
    }

    [Fact]
    public void AaExperiments_TwoSidedIntervalCoversZeroAtOneMinusAlpha()
    {
        var random = new Random(12);
        const int experiments = 2000;
        var covered = 0;
        for (var i = 0; i < experiments; i++)
        {
            var result = FrequentistTest.Run(new ProportionStatistic(400, Binomial.Sample(random, 0.2, 400)),
                new ProportionStatistic(400, Binomial.Sample(random, 0.2, 400)), new FrequentistOptions { DifferenceType = DifferenceType.Absolute });
            if (result.CiLower <= 0 && result.CiUpper >= 0)
            {
                covered++;
            }
        }

        var margin = 3 * Math.Sqrt(Alpha * (1 - Alpha) / experiments);
        Assert.InRange((double)covered / experiments, 1 - Alpha - margin, 1 - Alpha + margin);
    }

    [Fact]
    public void ContinuousPeeking_SequentialTestKeepsFalsePositivesBelowAlpha_WhileNaivePeekingDoesNot()
    {
        var random = new Random(13);
        const int experiments = 400;
        const int peeks = 20;
        const int usersPerPeek = 100;
        int sequentialRejections = 0, naiveRejections = 0;
        for (var e = 0; e < experiments; e++)
        {
            double sumA = 0, sqA = 0, sumB = 0, sqB = 0;
            bool sequentialRejected = false, naiveRejected = false;
            for (var peek = 1; peek <= peeks; peek++)
            {
                for (var i = 0; i < usersPerPeek; i++)
                {
                    var a = Normal.Sample(random, 5, 2);
                    var b = Normal.Sample(random, 5, 2);
                    sumA += a;
                    sqA += a * a;
                    sumB += b;
                    sqB += b * b;
                }

                var n = peek * usersPerPeek;
                var control = new SampleMeanStatistic(n, sumA, sqA);
                var treatment = new SampleMeanStatistic(n, sumB, sqB);
                sequentialRejected |= FrequentistTest.Run(control, treatment, new FrequentistOptions { Sequential = true }).PValue < Alpha;
                naiveRejected |= FrequentistTest.Run(control, treatment, new FrequentistOptions()).PValue < Alpha;
            }

            sequentialRejections += sequentialRejected ? 1 : 0;
            naiveRejections += naiveRejected ? 1 : 0;
        }

        var sequentialRate = (double)sequentialRejections / experiments;
        var naiveRate = (double)naiveRejections / experiments;
        Assert.True(sequentialRate <= Alpha, $"sequential false-positive rate {sequentialRate:F3} should stay ≤ α");

        // The simulation is sharp enough to see the inflation that sequential testing prevents.
        Assert.True(naiveRate > 2 * Alpha, $"naive peeking should inflate false positives, got {naiveRate:F3}");
    }

    [Fact]
    public void RealEffect_IsDetectedWithHighPower()
    {
        var random = new Random(14);
        var detected = 0;
        for (var i = 0; i < 200; i++)
        {
            var result = FrequentistTest.Run(Arm(random, 2000, 10, 3), Arm(random, 2000, 10.4, 3), new FrequentistOptions());
            detected += result.PValue < Alpha ? 1 : 0;
        }

        // Power for a 0.4 shift at n = 2000 per arm, σ = 3, is about 0.9.
        Assert.InRange(detected / 200.0, 0.8, 1.0);
    }
}
