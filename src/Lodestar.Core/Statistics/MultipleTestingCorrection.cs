namespace Lodestar.Core.Statistics;

/// <summary>
/// Holm–Bonferroni and Benjamini–Hochberg adjusted p-values and the matching widened intervals, as
/// GrowthBook's shared <c>experiments.ts</c> computes them (frequentist engine only).
/// </summary>
public static class MultipleTestingCorrection
{
    /// <summary>Adjusted p-values, in the order given.</summary>
    public static double[] Adjust(IReadOnlyList<double> pValues, PValueCorrection correction) => correction switch
    {
        PValueCorrection.HolmBonferroni => HolmBonferroni(pValues),
        PValueCorrection.BenjaminiHochberg => BenjaminiHochberg(pValues),
        _ => [.. pValues],
    };

    /// <summary>Ascending: p₍ᵢ₎·(m−i), capped at 1, then a running maximum.</summary>
    public static double[] HolmBonferroni(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var runningMax = double.NegativeInfinity;
        for (var rank = 0; rank < m; rank++)
        {
            var value = Math.Min(pValues[order[rank]] * (m - rank), 1);
            runningMax = Math.Max(runningMax, value);
            adjusted[order[rank]] = runningMax;
        }

        return adjusted;
    }

    /// <summary>Descending: p·m/(m−i), capped at 1, then a running minimum.</summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderByDescending(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var runningMin = double.PositiveInfinity;
        for (var rank = 0; rank < m; rank++)
        {
            var value = Math.Min(pValues[order[rank]] * m / (m - rank), 1);
            runningMin = Math.Min(runningMin, value);
            adjusted[order[rank]] = runningMin;
        }

        return adjusted;
    }

    /// <summary>
    /// The interval implied by an adjusted p-value: lift ± z₁₋α/₂·|lift/z₁₋p/₂|. Returned only when it is wider
    /// than the raw interval; (−∞, ∞) once the adjusted p-value is essentially 1.
    /// </summary>
    public static (double Lower, double Upper) AdjustedInterval(double adjustedPValue, double lift, double alpha, double ciLower, double ciUpper)
    {
        if (adjustedPValue > 0.999999)
        {
            return (double.NegativeInfinity, double.PositiveInfinity);
        }

        var (lower, upper) = ImpliedInterval(adjustedPValue, lift, alpha);
        return lower < ciLower && upper > ciUpper ? (lower, upper) : (ciLower, ciUpper);
    }

    /// <summary>The symmetric normal interval whose p-value would be <paramref name="pValue"/>.</summary>
    public static (double Lower, double Upper) ImpliedInterval(double pValue, double lift, double alpha)
    {
        if (lift == 0)
        {
            return (0, 0);
        }

        var z = ProbabilityFunctions.NormalQuantile(1 - alpha / 2);
        var impliedStdDev = Math.Abs(lift / ProbabilityFunctions.NormalQuantile(1 - pValue / 2));
        var width = z * impliedStdDev;
        return (lift - width, lift + width);
    }
}
