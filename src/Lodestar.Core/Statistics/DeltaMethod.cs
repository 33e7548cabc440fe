namespace Lodestar.Core.Statistics;

/// <summary>First-order (delta-method) variance of a ratio of two random quantities.</summary>
public static class DeltaMethod
{
    /// <summary>Var(M/D) ≈ vm/μd² + vd·μm²/μd⁴ − 2c·μm/μd³; 0 when the denominator mean is 0.</summary>
    public static double VarianceOfRatio(double meanM, double varM, double meanD, double varD, double covMD)
    {
        if (meanD == 0)
        {
            return 0;
        }

        return varM / (meanD * meanD)
            + varD * meanM * meanM / Math.Pow(meanD, 4)
            - 2 * covMD * meanM / Math.Pow(meanD, 3);
    }
}
