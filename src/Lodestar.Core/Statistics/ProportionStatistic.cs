namespace Lodestar.Core.Statistics;

/// <summary>
/// A binomial (conversion) metric. Its variance is <c>p(1−p)</c> with no n/(n−1) correction, as in gbstats.
/// </summary>
public sealed record ProportionStatistic : SumStatistic
{
    public ProportionStatistic(double n, double conversions) : base(n, conversions)
    {
    }

    // Each unit is 0 or 1, so the sum of squares equals the sum.
    public override double SumSquares => Sum;

    public override double Variance => Mean * (1 - Mean);
}
