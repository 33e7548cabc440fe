namespace Lodestar.Core.Statistics;

/// <summary>A statistic summarised by a count, a sum and a sum of squares.</summary>
public abstract record SumStatistic : ArmStatistic
{
    protected SumStatistic(double n, double sum) : base(n) => Sum = sum;

    public double Sum { get; }

    public abstract double SumSquares { get; }

    public override double Mean => N == 0 ? 0 : Sum / N;

    /// <summary>
    /// Covariance of two per-unit quantities from their sums. Two proportions use the population form
    /// (to agree with their <c>p(1−p)</c> variance); anything else uses the n−1 form.
    /// </summary>
    public static double Covariance(double n, SumStatistic a, SumStatistic b, double sumOfProducts)
    {
        if (n <= 1)
        {
            return 0;
        }

        return a is ProportionStatistic && b is ProportionStatistic
            ? sumOfProducts / n - a.Sum * b.Sum / (n * n)
            : (sumOfProducts - a.Sum * b.Sum / n) / (n - 1);
    }

    /// <summary>Pools two arms into one statistic over <paramref name="n"/> units, keeping the proportion form when both are proportions.</summary>
    public static SumStatistic Pool(SumStatistic a, SumStatistic b, double n) =>
        a is ProportionStatistic && b is ProportionStatistic
            ? new ProportionStatistic(n, a.Sum + b.Sum)
            : new SampleMeanStatistic(n, a.Sum + b.Sum, a.SumSquares + b.SumSquares);
}
