namespace Lodestar.Core.Statistics;

/// <summary>
/// CUPED for a mean or binomial metric: the post-exposure metric adjusted by θ times the pre-exposure
/// covariate. θ is pooled per control/treatment pair (<see cref="CupedTheta"/>); null means not yet set.
/// </summary>
public sealed record RegressionAdjustedStatistic(
    double Users,
    SumStatistic Post,
    SumStatistic Pre,
    double PostPreSumOfProducts,
    double? Theta) : ArmStatistic(Users)
{
    private double ThetaOrZero => Theta ?? 0;

    public override double Mean => Post.Mean - ThetaOrZero * Pre.Mean;

    public override double UnadjustedMean => Post.Mean;

    public double Covariance => SumStatistic.Covariance(N, Post, Pre, PostPreSumOfProducts);

    public override double Variance
    {
        get
        {
            if (N <= 1)
            {
                return 0;
            }

            var theta = ThetaOrZero;
            return Post.Variance + theta * theta * Pre.Variance - 2 * theta * Covariance;
        }
    }
}
