namespace Lodestar.Core.Statistics;

/// <summary>Reads an aggregate row as the right statistic for the metric (gbstats <c>variation_statistic_from_metric_row</c>).</summary>
public static class ArmStatisticFactory
{
    /// <param name="keepTheta">Bandits take θ from the row instead of computing it pairwise.</param>
    public static ArmStatistic Create(VariationAggregate row, MetricDefinition metric, bool regressionAdjusted, bool keepTheta = false)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(metric);
        var main = Component(metric.Main, row.Count, row.MainSum, row.MainSumSquares);
        if (metric.Statistic == MetricStatistic.Ratio)
        {
            var denominatorKind = metric.Denominator ?? MetricKind.Count;
            var denominator = Component(denominatorKind, row.Count, row.DenominatorSum, row.DenominatorSumSquares);
            if (!regressionAdjusted)
            {
                return new RatioStatistic(row.Users, main, denominator, row.MainDenominatorSumProduct);
            }

            return new RegressionAdjustedRatioStatistic(
                row.Users,
                main,
                denominator,
                Component(metric.Main, row.Count, row.CovariateSum, row.CovariateSumSquares),
                Component(denominatorKind, row.Count, row.DenominatorPreSum, row.DenominatorPreSumSquares),
                NumeratorPostNumeratorPreSumOfProducts: row.MainCovariateSumProduct,
                DenominatorPostDenominatorPreSumOfProducts: row.DenominatorPostDenominatorPreSumProduct,
                NumeratorPreDenominatorPreSumOfProducts: row.MainPreDenominatorPreSumProduct,
                NumeratorPostDenominatorPostSumOfProducts: row.MainDenominatorSumProduct,
                NumeratorPostDenominatorPreSumOfProducts: row.MainPostDenominatorPreSumProduct,
                NumeratorPreDenominatorPostSumOfProducts: row.MainPreDenominatorPostSumProduct,
                Theta: null);
        }

        if (!regressionAdjusted)
        {
            return main;
        }

        var pre = Component(metric.CovariateKind, row.Count, row.CovariateSum, row.CovariateSumSquares);
        return new RegressionAdjustedStatistic(row.Users, main, pre, row.MainCovariateSumProduct, keepTheta ? row.Theta ?? 0 : null);
    }

    private static SumStatistic Component(MetricKind kind, double n, double sum, double sumSquares) =>
        kind == MetricKind.Binomial ? new ProportionStatistic(n, sum) : new SampleMeanStatistic(n, sum, sumSquares);
}
