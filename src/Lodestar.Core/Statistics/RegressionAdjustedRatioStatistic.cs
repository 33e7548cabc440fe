namespace Lodestar.Core.Statistics;

/// <summary>
/// CUPED for a ratio metric: β = [m̄_post, d̄_post, m̄_pre, d̄_pre] per user with their 4×4 covariance Λ;
/// the adjusted ratio is m_post/d_post − θ·m_pre/d_pre and its variance is ∇ᵀΛ∇.
/// </summary>
public sealed record RegressionAdjustedRatioStatistic(
    double Users,
    SumStatistic NumeratorPost,
    SumStatistic DenominatorPost,
    SumStatistic NumeratorPre,
    SumStatistic DenominatorPre,
    double NumeratorPostNumeratorPreSumOfProducts,
    double DenominatorPostDenominatorPreSumOfProducts,
    double NumeratorPreDenominatorPreSumOfProducts,
    double NumeratorPostDenominatorPostSumOfProducts,
    double NumeratorPostDenominatorPreSumOfProducts,
    double NumeratorPreDenominatorPostSumOfProducts,
    double? Theta) : ArmStatistic(Users)
{
    private double ThetaOrZero => Theta ?? 0;

    public double MeanPost => DenominatorPost.Sum == 0 ? 0 : NumeratorPost.Sum / DenominatorPost.Sum;

    public double MeanPre => DenominatorPre.Sum == 0 ? 0 : NumeratorPre.Sum / DenominatorPre.Sum;

    public override double Mean =>
        DenominatorPost.Sum == 0 || DenominatorPre.Sum == 0 ? 0 : MeanPost - ThetaOrZero * MeanPre;

    public override double UnadjustedMean => MeanPost;

    public override double Variance => QuadraticForm(Gradient(), LambdaMatrix(), 0, 4, 0, 4);

    /// <summary>Variance of the pre-period part of the gradient (used for θ).</summary>
    internal double PreVariance => QuadraticForm(Gradient(), LambdaMatrix(), 2, 4, 2, 4);

    /// <summary>Covariance between the pre- and post-period parts of the gradient (used for θ).</summary>
    internal double PrePostCovariance => QuadraticForm(Gradient(), LambdaMatrix(), 2, 4, 0, 2);

    /// <summary>Per-user means [m_post, d_post, m_pre, d_pre].</summary>
    public double[] BetaHat() => [NumeratorPost.Mean, DenominatorPost.Mean, NumeratorPre.Mean, DenominatorPre.Mean];

    /// <summary>∂(adjusted ratio)/∂β for the absolute difference; zeros when a denominator mean is 0.</summary>
    public double[] Gradient()
    {
        var b = BetaHat();
        if (b[1] == 0 || b[3] == 0)
        {
            return new double[4];
        }

        var theta = ThetaOrZero;
        return [1 / b[1], -b[0] / (b[1] * b[1]), -theta / b[3], theta * b[2] / (b[3] * b[3])];
    }

    /// <summary>The 4×4 unit-level covariance matrix of [m_post, d_post, m_pre, d_pre].</summary>
    public double[,] LambdaMatrix()
    {
        var n = N;
        var mPostDPost = SumStatistic.Covariance(n, NumeratorPost, DenominatorPost, NumeratorPostDenominatorPostSumOfProducts);
        var mPostMPre = SumStatistic.Covariance(n, NumeratorPost, NumeratorPre, NumeratorPostNumeratorPreSumOfProducts);
        var mPostDPre = SumStatistic.Covariance(n, NumeratorPost, DenominatorPre, NumeratorPostDenominatorPreSumOfProducts);
        var dPostMPre = SumStatistic.Covariance(n, DenominatorPost, NumeratorPre, NumeratorPreDenominatorPostSumOfProducts);
        var dPostDPre = SumStatistic.Covariance(n, DenominatorPost, DenominatorPre, DenominatorPostDenominatorPreSumOfProducts);
        var mPreDPre = SumStatistic.Covariance(n, NumeratorPre, DenominatorPre, NumeratorPreDenominatorPreSumOfProducts);
        return new double[,]
        {
            { NumeratorPost.Variance, mPostDPost, mPostMPre, mPostDPre },
            { mPostDPost, DenominatorPost.Variance, dPostMPre, dPostDPre },
            { mPostMPre, dPostMPre, NumeratorPre.Variance, mPreDPre },
            { mPostDPre, dPostDPre, mPreDPre, DenominatorPre.Variance },
        };
    }

    /// <summary>The same arm without adjustment, as a plain ratio of the post-period sums.</summary>
    public RatioStatistic WithoutAdjustment() =>
        new(N, NumeratorPost, DenominatorPost, NumeratorPostDenominatorPostSumOfProducts);

    /// <summary>xᵀ Λ[rows, cols] y where x = g[rowStart..rowEnd) and y = g[colStart..colEnd).</summary>
    internal static double QuadraticForm(double[] g, double[,] lambda, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        var total = 0.0;
        for (var i = rowStart; i < rowEnd; i++)
        {
            for (var j = colStart; j < colEnd; j++)
            {
                total += g[i] * lambda[i, j] * g[j];
            }
        }

        return total;
    }
}
