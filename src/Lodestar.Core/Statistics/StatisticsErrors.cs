namespace Lodestar.Core.Statistics;

/// <summary>The engine's error messages, spelled as gbstats spells them so dashboards can match on them.</summary>
public static class StatisticsErrors
{
    public const string ZeroNegativeVariance = "ZERO_NEGATIVE_VARIANCE";
    public const string BaselineVariationZero = "ZERO_NEGATIVE_BASELINE_VARIATION";
    public const string NoUnitsInVariation = "NO_UNITS_IN_VARIATION";
    public const string ZeroScaledVariationWeight = "ZERO_SCALED_VARIATION_WEIGHT";
    public const string SequentialOneSidedAlphaTooBig = "ALPHA_GREATER_THAN_0.5_FOR_SEQUENTIAL_ONE_SIDED_TEST";
    public const string PValueNotConverged = "NUMERICAL_PVALUE_NOT_CONVERGED";
    public const string MixedCupedPair = "If one arm is regression adjusted, the other must be as well";
    public const string ScaledImpactNotSupported =
        "For scaled impact the statistic must be of type ProportionStatistic, SampleMeanStatistic, or RegressionAdjustedStatistic.";
}
