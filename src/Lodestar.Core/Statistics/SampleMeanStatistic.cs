namespace Lodestar.Core.Statistics;

/// <summary>A count (or revenue, duration…) metric: sample mean with the n−1 variance.</summary>
public sealed record SampleMeanStatistic : SumStatistic
{
    public SampleMeanStatistic(double n, double sum, double sumSquares) : base(n, sum) => SumSquares = sumSquares;

    public override double SumSquares { get; }

    public override double Variance => N <= 1 ? 0 : (SumSquares - Sum * Sum / N) / (N - 1);
}
