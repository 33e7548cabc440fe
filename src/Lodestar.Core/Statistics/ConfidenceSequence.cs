namespace Lodestar.Core.Statistics;

/// <summary>
/// Asymptotic confidence sequences (Waudby-Smith et al. 2023, arXiv 2103.06476v7), which stay valid however
/// often the results are looked at. N counts the pair of arms compared; N* is the tuning parameter, the sample
/// size at which the sequence is tightest.
/// </summary>
public static class ConfidenceSequence
{
    public const double DefaultTuningParameter = 5000;

    /// <summary>ρ (eq. 161). One-sided sequences use 2α, so both share the same ρ for the same α.</summary>
    public static double Rho(double alpha, double tuningParameter, bool twoSided)
    {
        var a = twoSided ? alpha : 2 * alpha;
        return Math.Sqrt((-2 * Math.Log(a) + Math.Log(-2 * Math.Log(a) + 1)) / tuningParameter);
    }

    /// <summary>Two-sided half-width (eq. 9); <paramref name="s2"/> = SE²·N.</summary>
    public static double TwoSidedHalfWidth(double s2, double n, double alpha, double rho)
    {
        var nRho2 = n * rho * rho;
        return Math.Sqrt(s2) * Math.Sqrt(2 * (nRho2 + 1) * Math.Log(Math.Sqrt(nRho2 + 1) / alpha) / Math.Pow(n * rho, 2));
    }

    /// <summary>One-sided half-width (eq. 134).</summary>
    public static double OneSidedHalfWidth(double s2, double n, double alpha, double rho)
    {
        var nRho2 = n * rho * rho;
        return Math.Sqrt(s2 * (2 * (nRho2 + 1) / Math.Pow(n * rho, 2)) * Math.Log(1 + Math.Sqrt(nRho2 + 1) / (2 * alpha)));
    }

    /// <summary>Always-valid two-sided p-value, min(1, 1/E) with the e-value of eq. 155.</summary>
    public static double TwoSidedPValue(double estimate, double testValue, double standardError, double n, double rho)
    {
        var st2 = Math.Pow(estimate - testValue, 2) * n / (standardError * standardError);
        var tr2p1 = n * rho * rho + 1;
        var eValue = Math.Exp(rho * rho * st2 / (2 * tr2p1)) / Math.Sqrt(tr2p1);
        return Math.Min(1 / eValue, 1);
    }

    /// <summary>
    /// One-sided p-value: the α at which the one-sided bound touches 0, found by bisection with ρ held at
    /// the test's own value (as gbstats does). Range [1e−5, 0.4999], tolerance 1e−6, at most 100 steps.
    /// </summary>
    public static (double? PValue, string? Error) OneSidedPValue(double estimate, double s2, double n, double rho, bool lesser)
    {
        const double tolerance = 1e-6;
        const int maxIterations = 100;
        var minAlpha = 1e-5;
        var maxAlpha = 0.4999;

        double Bound(double alpha)
        {
            var halfWidth = OneSidedHalfWidth(s2, n, alpha, rho);
            return lesser ? estimate + halfWidth : estimate - halfWidth;
        }

        // Smaller α gives a wider interval: if even the widest excludes 0, p is below the search range.
        var widest = Bound(minAlpha);
        if (lesser ? widest < 0 : widest > 0)
        {
            return (minAlpha, null);
        }

        var narrowest = Bound(maxAlpha);
        if (lesser ? narrowest > 0 : narrowest < 0)
        {
            return (maxAlpha, null);
        }

        var alphaNow = 0.5 * (minAlpha + maxAlpha);
        var difference = 0.0;
        for (var i = 0; i < maxIterations; i++)
        {
            difference = Bound(alphaNow);
            if (double.IsNaN(difference))
            {
                break;
            }

            var boundStillCoversZero = lesser ? difference > 0 : difference < 0;
            if (boundStillCoversZero)
            {
                minAlpha = alphaNow;
            }
            else
            {
                maxAlpha = alphaNow;
            }

            alphaNow = 0.5 * (minAlpha + maxAlpha);
            if (Math.Abs(difference) < tolerance)
            {
                break;
            }
        }

        return Math.Abs(difference) < tolerance ? (alphaNow, null) : (null, StatisticsErrors.PValueNotConverged);
    }
}
