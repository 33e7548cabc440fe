namespace Lodestar.Core.Statistics;

/// <summary>
/// One variation's aggregate row, with gbstats's column names. Sums are over users (or rows when
/// <see cref="Count"/> differs from <see cref="Users"/>); a missing column reads as 0, as upstream.
/// </summary>
public sealed record VariationAggregate
{
    public double Users { get; init; }

    public double Count { get; init; }

    public double MainSum { get; init; }

    public double MainSumSquares { get; init; }

    public double DenominatorSum { get; init; }

    public double DenominatorSumSquares { get; init; }

    public double MainDenominatorSumProduct { get; init; }

    public double CovariateSum { get; init; }

    public double CovariateSumSquares { get; init; }

    public double MainCovariateSumProduct { get; init; }

    public double DenominatorPreSum { get; init; }

    public double DenominatorPreSumSquares { get; init; }

    public double MainPostDenominatorPreSumProduct { get; init; }

    public double MainPreDenominatorPostSumProduct { get; init; }

    public double MainPreDenominatorPreSumProduct { get; init; }

    public double DenominatorPostDenominatorPreSumProduct { get; init; }

    /// <summary>CUPED θ computed by the period query; bandits use it as given.</summary>
    public double? Theta { get; init; }
}
