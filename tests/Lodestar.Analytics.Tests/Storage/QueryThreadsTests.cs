using System.Globalization;
using Lodestar.Analytics.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// DuckDB runs on one thread while only ingestion writes (its appends are single tasks a worker would take while the
/// appending thread spins), and on the query threads while an analytics query or an export holds a lease.
/// </summary>
public sealed class QueryThreadsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-threads-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long Threads(DuckDbEventStore store)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('threads')";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public void OneThread_ExceptWhileALeaseIsHeld_AndTheLastLeaseOutSetsItBack()
    {
        using var store = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"), queryThreads: 3);
        Assert.Equal(3, store.QueryThreads);
        Assert.Equal(1, Threads(store));

        var first = store.UseQueryThreads();
        Assert.Equal(3, Threads(store));
        using (store.UseQueryThreads())
        {
            first.Dispose();
            first.Dispose(); // a second dispose releases nothing
            Assert.Equal(3, Threads(store));
        }

        Assert.Equal(1, Threads(store));
        using (store.UseQueryThreads()) Assert.Equal(3, Threads(store));
        Assert.Equal(1, Threads(store));
    }

    [Fact]
    public void TheIngestMemoryLimit_HoldsBetweenLeases_AndTheLastLeaseOutEvictsWhatAQueryLoaded()
    {
        using var store = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"), memoryLimit: "1GiB", queryThreads: 2, ingestMemoryLimit: "48MiB");
        Assert.Equal("48.0 MiB", store.MemoryLimit());
        using (var connection = store.OpenConnection())
        {
            Execute(connection, "CREATE TABLE filler AS SELECT range AS i, md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS s FROM range(3000000)");
            Execute(connection, "CHECKPOINT");
        }

        using (store.UseQueryThreads())
        {
            Assert.Equal("1.0 GiB", store.MemoryLimit());
            using var connection = store.OpenConnection();
            // Reading the whole table loads its blocks (over 96 MB: 64 random hex digits a row) into the buffer pool.
            Assert.Equal(3000000L, Scalar(connection, "SELECT count(DISTINCT s) FROM filler"));
            Assert.True(BufferedBytes(store) > 96L << 20, $"buffered {BufferedBytes(store)} bytes");
        }

        Assert.Equal("48.0 MiB", store.MemoryLimit());
        Assert.True(BufferedBytes(store) <= 48L << 20, $"buffered {BufferedBytes(store)} bytes");
    }

    [Fact]
    public void WithoutAnIngestLimit_TheMemoryLimitNeverChanges()
    {
        using var store = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"), memoryLimit: "512MiB", queryThreads: 2);
        Assert.Equal("512.0 MiB", store.MemoryLimit());
        using (store.UseQueryThreads()) Assert.Equal("512.0 MiB", store.MemoryLimit());
        Assert.Equal("512.0 MiB", store.MemoryLimit());
    }

    private static long BufferedBytes(DuckDbEventStore store)
    {
        using var connection = store.OpenConnection();
        return Scalar(connection, "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()");
    }

    private static long Scalar(DuckDB.NET.Data.DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(DuckDB.NET.Data.DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void ByDefault_QueriesGetTheMachinesCores()
    {
        using var store = new DuckDbEventStore(Path.Combine(_dir, "events.duckdb"));
        Assert.Equal(Environment.ProcessorCount, store.QueryThreads);
        Assert.Equal(1, Threads(store));
    }

    [Fact]
    public async Task AnAnalyticsQuery_RunsOnTheQueryThreads_AndExportsToo()
    {
        using var log = new EventLog();
        log.Add("p", "A", "2024-01-01T10:00:00Z");
        var runner = new DuckDbQueryRunner(log.Store, log, log, NullLogger<DuckDbQueryRunner>.Instance);

        long during = await runner.RunAsync(EventLog.App, [], TimeSpan.FromSeconds(30),
            (session, _) => Convert.ToInt64(session.Scalar("SELECT current_setting('threads')"), CultureInfo.InvariantCulture), default);

        Assert.Equal(Environment.ProcessorCount, during);
        Assert.Equal(1, Threads(log.Store));
        Assert.Equal(1, log.Store.Export(EventLog.App, EventLog.T("2024-01-01T00:00:00Z"), EventLog.T("2024-01-02T00:00:00Z"),
            Lodestar.Core.Events.ExportFormat.Csv, Path.Combine(_dir, "export.csv")));
        Assert.Equal(1, Threads(log.Store));
    }

    [Fact]
    public async Task ThreadsToggledByQueries_WhileTheWriterAppendsAndCheckpoints_NothingHangsOrIsLost()
    {
        // A 1 MB checkpoint threshold: the writer's commits checkpoint often, while the readers' leases switch DuckDB
        // between one and two threads (DuckDB joins its worker, under its scheduler's lock, to go back to one).
        using var log = new EventLog();
        using var store = new DuckDbEventStore(Path.Combine(_dir, "toggled.duckdb"), checkpointThreshold: "1MB", queryThreads: 2);
        var runner = new DuckDbQueryRunner(store, log, log, NullLogger<DuckDbQueryRunner>.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        const int PerBatch = 2000;

        var writer = Task.Run(() =>
        {
            long seq = 0;
            int batches = 0;
            while (!stop.IsCancellationRequested)
            {
                var events = new List<Lodestar.Core.Events.StoredEvent>(PerBatch);
                for (int i = 0; i < PerBatch; i++, seq++) events.Add(Event(seq + 1));
                store.Append(events);
                batches++;
            }

            return batches;
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            int queries = 0;
            while (!stop.IsCancellationRequested)
            {
                await runner.RunAsync("app_toggle", [], TimeSpan.FromSeconds(30),
                    (session, _) => session.Scalar("SELECT count(*), sum(length(properties)) FROM events"), default);
                queries++;
            }

            return queries;
        })).ToList();

        var all = Task.WhenAll(readers.Append(writer));
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(90))));
        int batches = await writer;
        Assert.True(batches > 1, $"{batches} batches");
        Assert.True(readers.Sum(r => r.Result) > 1, "no query ran");
        Assert.Equal(1, Threads(store));
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events";
        Assert.Equal((long)batches * PerBatch, Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    private static Lodestar.Core.Events.StoredEvent Event(long seq) => new()
    {
        Sequence = seq,
        AppId = "app_toggle",
        PersonId = "p" + (seq % 500),
        ReceivedAt = DateTimeOffset.Parse("2024-05-01T08:00:00Z", CultureInfo.InvariantCulture),
        Event = new Lodestar.Core.Events.IncomingEvent
        {
            Type = Lodestar.Core.Events.EventTypes.Track,
            Name = "E" + (seq % 7),
            MessageId = "m-" + seq,
            Timestamp = DateTimeOffset.Parse("2024-05-01T07:00:00Z", CultureInfo.InvariantCulture).AddMilliseconds(seq),
            PropertiesJson = $$"""{"n":{{seq}},"pad":"{{new string('x', seq % 200 == 0 ? 100 : 10)}}"}""",
            ContextJson = "{\"device\":{\"id\":\"d" + (seq % 50) + "\"}}",
            Source = "test",
        },
    };
}
