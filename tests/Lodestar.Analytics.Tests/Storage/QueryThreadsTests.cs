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
}
