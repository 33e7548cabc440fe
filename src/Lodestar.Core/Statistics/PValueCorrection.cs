namespace Lodestar.Core.Statistics;

/// <summary>Multiple-testing correction applied across the p-values of one analysis.</summary>
public enum PValueCorrection
{
    None,

    /// <summary>Controls the family-wise error rate.</summary>
    HolmBonferroni,

    /// <summary>Controls the false discovery rate.</summary>
    BenjaminiHochberg,
}
