namespace Lodestar.Core.Statistics;

/// <summary>How the treatment is compared with the control.</summary>
public enum DifferenceType
{
    /// <summary>Lift: (treatment − control)/|control|.</summary>
    Relative,

    /// <summary>Treatment − control, in the metric's own units.</summary>
    Absolute,

    /// <summary>The absolute difference scaled to daily totals across the whole traffic (scaled impact).</summary>
    Scaled,
}
