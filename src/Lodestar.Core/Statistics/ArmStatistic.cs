namespace Lodestar.Core.Statistics;

/// <summary>
/// The sufficient statistics of one experiment arm for one metric: enough to know its mean and its
/// unit-level variance without the per-user rows.
/// </summary>
public abstract record ArmStatistic
{
    protected ArmStatistic(double n) => N = n;

    /// <summary>Units behind the statistic (users for ratio and CUPED statistics, rows otherwise).</summary>
    public double N { get; }

    /// <summary>The mean the effect is computed from (CUPED-adjusted where that applies).</summary>
    public abstract double Mean { get; }

    /// <summary>Unit-level variance (not the variance of the mean).</summary>
    public abstract double Variance { get; }

    /// <summary>The mean before any regression adjustment; relative lift divides by this one.</summary>
    public virtual double UnadjustedMean => Mean;

    public double StdDev => Variance <= 0 ? 0 : Math.Sqrt(Variance);

    public virtual bool HasZeroVariance => Variance <= 0;
}
