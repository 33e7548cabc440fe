using System.Diagnostics;
using DuckDB.NET.Data;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class TimeoutTests
{
    [Fact]
    public async Task LongQuery_IsInterruptedAtTheLimit_AndTheStoreStaysUsable()
    {
        using var log = new EventLog(TimeSpan.FromMilliseconds(300));
        using (var connection = log.Store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            // 4M events of 200k persons, enough for a funnel to take seconds.
            command.CommandText = """
                INSERT INTO events (seq, app_id, type, name, person_id, time, received_at, source, internal, person_key)
                SELECT i, 'app_test', 'track', CASE i % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END, 'p' || (i % 200000),
                       TIMESTAMP '2024-01-01' + to_seconds(i % 2000000), TIMESTAMP '2024-01-01', 'test', false,
                       1000000000 + i % 200000
                FROM range(4000000) t(i)
                """;
            command.ExecuteNonQuery();
        }

        var query = new FunnelQuery
        {
            Steps = Enumerable.Range(0, 10).Select(i => new FunnelStep { Event = "ABC"[i % 3].ToString() }).ToList(),
            Window = "30d", From = EventLog.T("2024-01-01T00:00:00Z"), To = EventLog.T("2024-02-01T00:00:00Z"),
        };
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<QueryTimeoutException>(() => log.Engine.FunnelAsync(EventLog.App, query, default));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the interrupt took {watch.Elapsed}");

        // Nothing is left running: the next query gets the store and answers.
        log.Settings.QueryTimeout = TimeSpan.FromMinutes(2);
        var entered = await log.Engine.FunnelAsync(EventLog.App, query with { Steps = [new FunnelStep { Event = "A" }] }, default);
        Assert.Equal(200_000, entered.Steps[0].Persons);
    }

    [Fact]
    public async Task CancelledSession_InterruptsAStatementThatStartedAfterTheCancel()
    {
        // DuckDB clears a connection's interrupt flag when a statement starts, so a cancel that lands just before a
        // statement reaches DuckDB is lost unless the session interrupts again. This statement starts after the cancel.
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using (var session = new QuerySession(connection, default))
        {
            session.Cancel();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sum(a.range * b.range) FROM range(30000) a, range(30000) b"; // 900M rows: seconds
            var watch = Stopwatch.StartNew();
            var failure = await Record.ExceptionAsync(() => Task.Run(command.ExecuteScalar));
            Assert.True(failure is OperationCanceledException || failure?.Message.Contains("Interrupted", StringComparison.Ordinal) == true,
                $"expected an interrupt, got {failure?.ToString() ?? "a result"} after {watch.Elapsed}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the interrupt took {watch.Elapsed}");
            Assert.Throws<OperationCanceledException>(() => session.Scalar("SELECT 1"));
        }

        // A disposed session interrupts no more.
        await Task.Delay(QuerySession.InterruptInterval * 3);
        using var next = connection.CreateCommand();
        next.CommandText = "SELECT count(*) FROM range(3000) a, range(3000) b";
        Assert.Equal(9_000_000L, Convert.ToInt64(next.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task CallerCancellation_IsOperationCanceled()
    {
        using var log = new EventLog();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var query = new TrendsQuery { Series = [new TrendSeries { Event = "A" }], From = EventLog.T("2024-01-01T00:00:00Z"), To = EventLog.T("2024-01-02T00:00:00Z") };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.Engine.TrendsAsync(EventLog.App, query, cancelled.Token));
    }
}
