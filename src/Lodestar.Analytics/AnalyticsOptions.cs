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
    /// DuckDB's memory limit (e.g. <c>1500MB</c>), applied to the events database instance the first time analytics
    /// runs; beyond it DuckDB spills to disk. Unset: DuckDB's default (80% of RAM). Affects ingestion too (one instance).
    /// </summary>
    [RegularExpression(@"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$", ErrorMessage = "MemoryLimit must look like 1500MB or 2GB.")]
    public string? MemoryLimit { get; set; }
}
