using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Lodestar.Core.Statistics;

/// <summary>
/// The few distribution functions the engine needs, on top of MathNet.Numerics. Tails are computed directly
/// from the regularized incomplete beta/gamma functions rather than as 1 − CDF, so small p-values keep their
/// significant digits.
/// </summary>
internal static class ProbabilityFunctions
{
    public static double NormalCdf(double z) => Normal.CDF(0, 1, z);

    public static double NormalPdf(double z) => Normal.PDF(0, 1, z);

    public static double NormalQuantile(double p) => Normal.InvCDF(0, 1, p);

    /// <summary>P(T ≤ t) for Student's t with (possibly fractional) ν degrees of freedom.</summary>
    public static double StudentTCdf(double t, double degreesOfFreedom)
    {
        if (double.IsNaN(t) || double.IsNaN(degreesOfFreedom))
        {
            return double.NaN;
        }

        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return NormalCdf(t);
        }

        var tail = 0.5 * SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>P(T &gt; t).</summary>
    public static double StudentTSurvival(double t, double degreesOfFreedom) => StudentTCdf(-t, degreesOfFreedom);

    /// <summary>The t quantile, polished with Newton steps on the accurate CDF.</summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return NormalQuantile(p);
        }

        var x = StudentT.InvCDF(0, 1, degreesOfFreedom, p);
        for (var i = 0; i < 3; i++)
        {
            var density = StudentT.PDF(0, 1, degreesOfFreedom, x);
            if (!(density > 0))
            {
                break;
            }

            var step = (StudentTCdf(x, degreesOfFreedom) - p) / density;
            x -= step;
            if (Math.Abs(step) <= 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                break;
            }
        }

        return x;
    }

    /// <summary>P(χ²_k &gt; x).</summary>
    public static double ChiSquaredSurvival(double x, double degreesOfFreedom) =>
        x <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2, x / 2);
}
