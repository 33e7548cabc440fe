namespace Lodestar.Core.Statistics;

/// <summary>
/// A ratio metric (e.g. revenue per session): per-user numerator and denominator totals, variance by the
/// delta method.
/// </summary>
public sealed record RatioStatistic(double Users, SumStatistic Numerator, SumStatistic Denominator, double NumeratorDenominatorSumOfProducts)
    : ArmStatistic(Users)
{
    public override double Mean => Denominator.Sum == 0 ? 0 : Numerator.Sum / Denominator.Sum;

    public double Covariance => SumStatistic.Covariance(N, Numerator, Denominator, NumeratorDenominatorSumOfProducts);

    public override double Variance =>
        Denominator.Mean == 0 || N <= 1
            ? 0
            : DeltaMethod.VarianceOfRatio(Numerator.Mean, Numerator.Variance, Denominator.Mean, Denominator.Variance, Covariance);
}
