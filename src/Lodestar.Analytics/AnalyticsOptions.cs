using System.ComponentModel.DataAnnotations;

namespace Lodestar.Analytics;

/// <summary>Settings of the analytics engine (section <c>Analytics</c>; environment <c>Analytics__QueryTimeout</c>).</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "Analytics";

    /// <summary>A query running longer than this is interrupted and answered with an error. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An event property that queries have broken down or filtered by this many times (since the start) gets a
    /// materialized column (<c>Analytics__AutoMaterializeAfter</c>). 0 switches automatic materialization off. Default 3.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int AutoMaterializeAfter { get; set; } = 3;

    /// <summary>Automatic materialization stops once an app has this many materialized properties (the API may add more). Default 20.</summary>
    [Range(0, 1000)]
    public int MaxMaterializedPerApp { get; set; } = 20;

    /// <summary>How many sequence numbers one slice of the background fill of a materialized column covers. Default 1,000,000.</summary>
    [Range(1, long.MaxValue)]
    public long MaterializeSlice { get; set; } = 1_000_000;

    /// <summary>How often the background fill looks for materialized columns behind the newest event. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaterializeInterval { get; set; } = TimeSpan.FromSeconds(2);
}
