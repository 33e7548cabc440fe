namespace Lodestar.Server.Hosting;

/// <summary>Top-level settings (section <c>Lodestar</c>; environment variables <c>Lodestar__DataDir</c>, …).</summary>
public sealed class LodestarOptions
{
    public const string Section = "Lodestar";

    /// <summary>Where the embedded stores live (<c>events.duckdb</c>, <c>state.sqlite</c>). Default <c>./data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Bearer token of the management API. When unset, one is generated at first start, stored and printed once.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Memory DuckDB may use for its buffers while an analytics query or an export runs (it spills to disk beyond). Default <c>1GB</c>.</summary>
    public string DuckDbMemoryLimit { get; set; } = "1GB";

    /// <summary>
    /// Memory DuckDB may use for its buffers between analytics queries, when it only appends. Default <c>160MB</c>:
    /// room for the rows appended since the last checkpoint (at the default <see cref="DuckDbCheckpointThreshold"/>,
    /// up to about 135 MB in memory under Segment ingestion) and little else, so the blocks checkpoints write are not
    /// kept (at 1GB they took 390 MB after a minute of Segment ingestion; at 256MB, 60 to 70 MB). Raise it with the
    /// checkpoint threshold, or appended rows spill to DuckDB's temporary files. Empty: always
    /// <see cref="DuckDbMemoryLimit"/>.
    /// </summary>
    public string DuckDbIngestMemoryLimit { get; set; } = "160MB";

    /// <summary>
    /// DuckDB's write-ahead log size at which it checkpoints (writes appended rows, compressed, into the file). Larger
    /// checkpoints less often (cheaper appends); smaller keeps fewer appended rows in memory. Default <c>96MB</c>:
    /// measured on the ingestion benchmark, 128MB took 140–150 MB off the peak at the same rate as 256MB, 96MB (with
    /// a 160MB ingest limit) another 26 MB at the same CPU per event in three pairs, and 64MB made Segment ingestion
    /// slower.
    /// </summary>
    public string DuckDbCheckpointThreshold { get; set; } = "96MB";

    /// <summary>
    /// Threads DuckDB runs on while an analytics query or an export runs (0, the default: the machine's cores). Between
    /// them it runs on one: ingestion's appends are single tasks, and with more threads the appending thread spun while
    /// a worker ran them.
    /// </summary>
    public int DuckDbQueryThreads { get; set; }

    /// <summary>How long a profile read waits for the profile projector to include the newest events.</summary>
    public TimeSpan ProfileReadWait { get; set; } = TimeSpan.FromSeconds(5);
}
