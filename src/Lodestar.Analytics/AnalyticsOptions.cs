using System.ComponentModel.DataAnnotations;

namespace Lodestar.Analytics;

/// <summary>Settings of the analytics engine (section <c>Analytics</c>; environment <c>Analytics__QueryTimeout</c>).</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "Analytics";

    /// <summary>A query running longer than this is interrupted and answered with an error. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
