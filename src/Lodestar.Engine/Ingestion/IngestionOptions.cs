using System.ComponentModel.DataAnnotations;

namespace Lodestar.Engine.Ingestion;

/// <summary>Limits and tuning of event ingestion (section <c>Lodestar:Ingestion</c>).</summary>
public sealed class IngestionOptions
{
    public const string Section = "Lodestar:Ingestion";

    /// <summary>Largest single message, in bytes (Segment's limit: 32 KB).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 32 * 1024;

    /// <summary>Largest batch request body, in bytes (Segment's limit: 500 KB).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxBatchBytes { get; set; } = 500 * 1024;

    /// <summary>Events older than this (by corrected timestamp) are rejected.</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(5 * 365);

    /// <summary>Events further than this in the future (after skew correction) are rejected.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Most properties (or traits) one event may carry.</summary>
    [Range(1, 10_000)]
    public int MaxProperties { get; set; } = 500;

    /// <summary>Longest property, trait or event name, in characters.</summary>
    [Range(1, 10_000)]
    public int MaxNameLength { get; set; } = 255;

    /// <summary>How long a messageId is remembered for de-duplication.</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Most messageIds remembered for de-duplication (15 to 26 bytes of memory each; 0: no bound but the window).
    /// Beyond it the oldest are forgotten first, which shortens the window, and a warning says since when ids are
    /// remembered. Default 40 million, 0.6 to 1 GB: the whole 7-day window up to about 65 events a second.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long DeduplicationMaxIds { get; set; } = 40_000_000;

    /// <summary>Most events committed together in one durable write (group commit).</summary>
    [Range(1, 1_000_000)]
    public int MaxEventsPerCommit { get; set; } = 50_000;

    /// <summary>Most events moved from the durable log into the event store in one append.</summary>
    [Range(1, 10_000_000)]
    public int StoreBatchEvents { get; set; } = 20_000;

    /// <summary>
    /// Most events logged but not yet in the event store before the writer waits for the store (back-pressure: bounds
    /// how far the store lags, e.g. during a checkpoint, and so the log's size on disk; the waiting events are read back
    /// from the log, not held in memory). Default 1,000,000, ten seconds at 100,000 events/s: DuckDB's checkpoint on
    /// one thread outlasted 250,000 under Segment load, and the writer's waits for it set the p99 (77–96 ms against
    /// 52–56 ms with 1,000,000 or more, same build).
    /// </summary>
    [Range(1000, 100_000_000)]
    public int MaxStoreBacklogEvents { get; set; } = 1_000_000;

    /// <summary>Longest the writer waits for the store at a time when it is over the backlog (then it goes on).</summary>
    public TimeSpan StoreBacklogWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the log-to-store mover waits to gather a larger batch (readers can ask it not to wait).</summary>
    public TimeSpan StoreBatchDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often folded profiles are checkpointed to the state store. Profiles are served from memory in
    /// between; a crash replays at most this long of events from the event store.
    /// </summary>
    public TimeSpan ProfileCheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Profiles kept in memory; beyond it, the ones already checkpointed are dropped.</summary>
    [Range(1000, 100_000_000)]
    public int MaxCachedProfiles { get; set; } = 200_000;

    /// <summary>Requests waiting for the writer before callers are slowed down.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 4096;
}
