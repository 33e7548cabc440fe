namespace Lodestar.Core.Statistics;

/// <summary>The alternative hypothesis of a frequentist test.</summary>
public enum TestDirection
{
    /// <summary>H1: effect ≠ 0. CI = Δ ± q·SE.</summary>
    TwoSided,

    /// <summary>H1: effect &gt; 0. CI = [Δ − q·SE, +∞). Used for one-sided intervals on inverse metrics.</summary>
    TreatmentGreater,

    /// <summary>H1: effect &lt; 0. CI = (−∞, Δ + q·SE]. gbstats uses this one-sided test for ordinary metrics.</summary>
    TreatmentLesser,
}
