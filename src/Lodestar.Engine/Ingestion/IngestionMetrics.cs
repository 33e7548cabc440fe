using System.Diagnostics.Metrics;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// What the ingestion path measures about itself, on the <c>Lodestar.Ingestion</c> meter (read it with
/// <c>dotnet-counters monitor -n Lodestar.Server --counters Lodestar.Ingestion</c>, or any OpenTelemetry metrics
/// exporter). Recording costs a check when nothing listens.
/// </summary>
public static class IngestionMetrics
{
    public const string MeterName = "Lodestar.Ingestion";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>From a request handing its events to the writer to their being durable (queue wait included).</summary>
    public static readonly Histogram<double> SubmissionSeconds = Meter.CreateHistogram<double>(
        "lodestar.ingestion.submission.duration", "s", "Time from handing events to the ingestion writer to their being durable, queue wait included.");

    /// <summary>One group commit: de-duplication, identity, the identity store, the log record and its fsync.</summary>
    public static readonly Histogram<double> CommitSeconds = Meter.CreateHistogram<double>(
        "lodestar.ingestion.commit.duration", "s", "One group commit: de-duplication, identity resolution and saving, the log record and its fsync.");

    /// <summary>The fsync of one log record.</summary>
    public static readonly Histogram<double> LogSyncSeconds = Meter.CreateHistogram<double>(
        "lodestar.ingestion.log.sync.duration", "s", "Forcing one write-ahead log record to disk.");

    /// <summary>One batch appended to the event store (DuckDB), its commit included.</summary>
    public static readonly Histogram<double> StoreAppendSeconds = Meter.CreateHistogram<double>(
        "lodestar.ingestion.store.append.duration", "s", "Appending one batch of logged events to the event store, its commit included.");

    public static readonly Counter<long> EventsStored = Meter.CreateCounter<long>(
        "lodestar.ingestion.events.stored", "{event}", "Events made durable (duplicates not counted).");
}
