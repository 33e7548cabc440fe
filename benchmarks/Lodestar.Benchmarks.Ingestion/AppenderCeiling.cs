using System.Diagnostics;
using System.Text.Json;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Segment;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Options;

namespace Lodestar.Benchmarks.Ingestion;

/// <summary>
/// The ceiling: the same events appended straight into a fresh DuckDB file through the store's appender, no HTTP, no
/// pipeline. They go in as the pipeline hands them over: records in the log's encoding, encoded before the clock starts.
/// </summary>
public static class AppenderCeiling
{
    public static double EventsPerSecond(int totalEvents, int users)
    {
        var parser = new SegmentMessageParser(new EventValidator(Options.Create(new IngestionOptions()), TimeProvider.System));
        var events = new List<StoredEvent>(totalEvents);
        var now = DateTimeOffset.UtcNow;
        for (long sequence = 0; events.Count < totalEvents; sequence++)
        {
            using var document = JsonDocument.Parse(LoadGenerator.SegmentBatch(0, sequence, 100, users));
            foreach (var message in document.RootElement.GetProperty("batch").EnumerateArray())
            {
                var parsed = parser.Parse(message, null, now, now);
                events.Add(new StoredEvent { Sequence = events.Count + 1, AppId = "app_bench", PersonId = parsed.Event!.UserId!, ReceivedAt = now, Event = parsed.Event });
            }
        }

        string dir = Directory.CreateTempSubdirectory("lodestar-ceiling-").FullName;
        try
        {
            using var store = new DuckDbEventStore(Path.Combine(dir, "events.duckdb"));
            // Records of a commit's size under load, appended ten at a time as the store's batches are.
            var records = events.Chunk(1_000).Select(chunk => (ReadOnlyMemory<byte>)EventLogCodec.Encode(chunk)).ToList();
            var stopwatch = Stopwatch.StartNew();
            foreach (var batch in records.Chunk(10)) store.AppendEncoded(batch);
            stopwatch.Stop();
            return events.Count / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
