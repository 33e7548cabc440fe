namespace Lodestar.Core.Statistics.Api;

/// <summary>One variation's aggregate row, gbstats column names in camelCase. Which sums are needed depends on the metric.</summary>
public sealed class VariationRow
{
    public double? Users { get; init; }

    /// <summary>Rows behind the sums; defaults to <see cref="Users"/>.</summary>
    public double? Count { get; init; }

    public double? MainSum { get; init; }

    public double? MainSumSquares { get; init; }

    public double? DenominatorSum { get; init; }

    public double? DenominatorSumSquares { get; init; }

    public double? MainDenominatorSumProduct { get; init; }

    public double? CovariateSum { get; init; }

    public double? CovariateSumSquares { get; init; }

    public double? MainCovariateSumProduct { get; init; }

    public double? DenominatorPreSum { get; init; }

    public double? DenominatorPreSumSquares { get; init; }

    public double? MainPostDenominatorPreSumProduct { get; init; }

    public double? MainPreDenominatorPostSumProduct { get; init; }

    public double? MainPreDenominatorPreSumProduct { get; init; }

    public double? DenominatorPostDenominatorPreSumProduct { get; init; }

    /// <summary>CUPED θ from the bandit period query (bandits only).</summary>
    public double? Theta { get; init; }
}
