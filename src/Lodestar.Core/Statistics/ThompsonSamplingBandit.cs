using MathNet.Numerics.Distributions;

namespace Lodestar.Core.Statistics;

/// <summary>
/// Gaussian Thompson sampling (gbstats <c>bayesian/bandits.py</c>): a normal posterior per arm, Monte Carlo
/// draws of all arms at once, traffic in proportion to how often each arm is best, then an additive floor.
/// The draws come from .NET's seeded generator, not NumPy's, so weights agree with GrowthBook's only to
/// Monte Carlo precision (about ±0.01 with 10,000 draws).
/// </summary>
public static class ThompsonSamplingBandit
{
    public static BanditResult Run(IReadOnlyList<BanditArm> arms, BanditOptions options)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(options);
        var k = arms.Count;
        var priorPrecision = options.Prior.Proper ? 1 / options.Prior.Variance : 0;
        var posteriorMean = new double[k];
        var posteriorStdDev = new double[k];
        for (var i = 0; i < k; i++)
        {
            var dataPrecision = arms[i].Variance > 0 ? arms[i].N / arms[i].Variance : 0;
            var variance = 1 / (priorPrecision + dataPrecision);
            posteriorMean[i] = variance * (priorPrecision * options.Prior.Mean + dataPrecision * arms[i].Mean);
            posteriorStdDev[i] = Math.Sqrt(variance);
        }

        var seed = options.Seed != 0 ? options.Seed : Random.Shared.Next(0, 1_000_001);
        var (best, secondBest) = CountWinners(posteriorMean, posteriorStdDev, options.Draws, seed, options.Inverse);
        var bestArmProbabilities = best.Select(c => (double)c / options.Draws).ToArray();
        var raw = options.TopTwo
            ? best.Zip(secondBest, (a, b) => (double)(a + b) / (2.0 * options.Draws)).ToArray()
            : bestArmProbabilities;

        var weights = ApplyFloor(raw, options.MinVariationWeight);
        var enoughUnits = arms.All(a => a.N >= options.MinimumUnitsPerArm);
        var summaries = arms.Select((a, i) =>
        {
            var (lower, upper) = BayesianTest.CredibleInterval(a.Mean, posteriorStdDev[i], options.Alpha);
            return new BanditArmSummary(a.N, a.Mean, posteriorMean[i], posteriorStdDev[i], lower, upper);
        }).ToList();

        return new BanditResult(
            enoughUnits ? weights : null,
            bestArmProbabilities,
            seed,
            enoughUnits ? BanditResult.Updated : BanditResult.NotEnoughUnits,
            enoughUnits,
            summaries);
    }

    /// <summary>
    /// p_i = f + (1 − k·f)·w_i/Σw: every arm gets at least f and the posterior ordering is kept. A negative
    /// floor counts as none; floors that cannot all fit (k·f ≥ 1) give uniform weights.
    /// </summary>
    public static double[] ApplyFloor(IReadOnlyList<double> weights, double minVariationWeight)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var k = weights.Count;
        var floor = Math.Max(0, minVariationWeight);
        if (floor * k >= 1)
        {
            return Enumerable.Repeat(1.0 / k, k).ToArray();
        }

        var total = weights.Sum();
        return weights.Select(w => floor + (1 - floor * k) * w / total).ToArray();
    }

    private static (int[] Best, int[] SecondBest) CountWinners(double[] means, double[] stdDevs, int draws, int seed, bool inverse)
    {
        var k = means.Length;
        var best = new int[k];
        var secondBest = new int[k];
        var random = new Random(seed);
        var sample = new double[k];
        for (var d = 0; d < draws; d++)
        {
            for (var i = 0; i < k; i++)
            {
                sample[i] = Normal.Sample(random, means[i], stdDevs[i]);
            }

            // Lower is better for inverse metrics: rank by the negated draw.
            int first = -1, second = -1;
            for (var i = 0; i < k; i++)
            {
                var value = inverse ? -sample[i] : sample[i];
                if (first < 0 || value > (inverse ? -sample[first] : sample[first]))
                {
                    second = first;
                    first = i;
                }
                else if (second < 0 || value > (inverse ? -sample[second] : sample[second]))
                {
                    second = i;
                }
            }

            best[first]++;
            if (second >= 0)
            {
                secondBest[second]++;
            }
        }

        return (best, secondBest);
    }
}
