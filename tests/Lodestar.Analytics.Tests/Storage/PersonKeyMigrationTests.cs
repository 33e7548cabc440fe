using DuckDB.NET.Data;
using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// The event store keys persons by an integer <c>person_key</c>. A data file written before that column existed is
/// migrated when the store opens it, and every query answers as before.
/// </summary>
public sealed class PersonKeyMigrationTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = EventLog.T("2024-01-05T23:59:59Z");

    private void History()
    {
        // a1 → u1 then u1 → u2 (a chain), b1 → u3; x1 and x2 never merge.
        _log.Add("a1", "Open", "2024-01-01T08:00:00Z").Add("a1", "View", "2024-01-01T08:01:00Z");
        _log.Add("u1", "Cart", "2024-01-01T09:00:00Z").Add("u2", "Buy", "2024-01-02T09:00:00Z").Add("u2", "Open", "2024-01-03T09:00:00Z");
        _log.Add("b1", "Open", "2024-01-02T10:00:00Z").Add("b1", "View", "2024-01-02T10:05:00Z");
        _log.Add("u3", "Open", "2024-01-04T10:00:00Z");
        _log.Add("x1", "Open", "2024-01-01T12:00:00Z").Add("x1", "View", "2024-01-01T12:10:00Z").Add("x1", "Cart", "2024-01-01T12:20:00Z");
        _log.Add("x2", "Open", "2024-01-03T12:00:00Z").Add("x2", "Open", "2024-01-04T12:00:00Z");
        _log.Merge("a1", "u1").Merge("u1", "u2").Merge("b1", "u3");
    }

    private async Task<string> Answers()
    {
        var engine = _log.Engine;
        var funnel = new FunnelQuery
        {
            Steps = new[] { "Open", "View", "Cart", "Buy" }.Select(s => new FunnelStep { Event = s }).ToList(), Window = "7d", From = From, To = To,
        };
        var steps = (await engine.FunnelAsync(EventLog.App, funnel, default)).Steps.Select(s => s.Persons);
        var dropped = await engine.FunnelPersonsAsync(EventLog.App, new FunnelPersonsQuery { Funnel = funnel, DroppedAfterStep = 1 }, default);
        var retention = await engine.RetentionAsync(EventLog.App, new RetentionQuery
        {
            StartEvent = "$firstSeen", ReturnEvent = "$any", Interval = "day", Periods = 4, Mode = "on", From = From, To = To,
        }, default);
        var trend = await engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "Open", Math = "uniques" }], Interval = "day", From = From, To = To,
        }, default);
        var paths = await engine.PathsAsync(EventLog.App, new PathsQuery { StartEvent = "Open", Depth = 3, From = From, To = To }, default);
        return string.Join(" | ",
            "funnel " + string.Join(",", steps),
            "dropped " + string.Join(",", dropped.PersonIds),
            "retention " + string.Join(";", retention.Cohorts.Select(c => c.Size + ":" + string.Join(",", c.Retained))),
            "uniques " + string.Join(",", trend.Series[0].Points.Select(p => p.Value)),
            "paths " + string.Join(",", paths.Nodes.Select(n => $"{n.Id}={n.Persons}")));
    }

    [Fact]
    public async Task OldDataFile_IsMigratedAtOpen_AndAnswersAreUnchanged()
    {
        History();
        string before = await Answers();
        // Worked by hand: u2 (a1+u1+u2) opens, views, carts, buys; u3 (b1+u3) opens and views; x1 opens, views, carts;
        // x2 only opens. Dropped after View: u3.
        Assert.StartsWith("funnel 4,3,2,1 | dropped u3 | ", before);
        Assert.Contains("uniques 2,1,2,2,0", before);

        // The file as the store wrote it before person keys: no column, no key tables.
        _log.Reopen(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE events DROP COLUMN person_key; DROP TABLE persons; DROP TABLE person_key_overrides; CHECKPOINT;";
            command.ExecuteNonQuery();
        });

        Assert.Equal(before, await Answers());
        Assert.Equal(0L, Scalar("SELECT count(*) FROM events WHERE person_key IS NULL"));
        Assert.Equal(7L, Scalar("SELECT count(DISTINCT person_key) FROM events"));
        Assert.Equal(3L, Scalar("SELECT count(*) FROM person_key_overrides"));

        // New events after the migration: a known id keeps its key, a new id gets a new one.
        _log.Add("x2", "Open", "2024-01-05T12:00:00Z").Add("n1", "Open", "2024-01-05T13:00:00Z");
        Assert.Contains("uniques 2,1,2,2,2", await Answers());
        Assert.Equal(8L, Scalar("SELECT count(DISTINCT person_key) FROM events"));
        Assert.Equal(8L, Scalar("SELECT count(*) FROM persons"));
    }

    [Fact]
    public async Task Keys_SurviveAReopen_AndMergesOfNewIdsGetKeys()
    {
        History();
        string before = await Answers();
        _log.Reopen(_ => { });
        Assert.Equal(before, await Answers());

        // A merge naming ids never seen in events gives them keys; a later event of the old id counts as the survivor.
        _log.Merge("z1", "z2").Add("z1", "Open", "2024-01-05T10:00:00Z").Add("z2", "Open", "2024-01-05T11:00:00Z");
        Assert.Contains("uniques 2,1,2,2,1", await Answers());
        Assert.Equal(0L, Scalar("SELECT count(*) FROM (SELECT person_id FROM persons GROUP BY app_id, person_id HAVING count(*) > 1)"));
        Assert.Equal(0L, Scalar("SELECT count(*) FROM (SELECT person_key FROM persons GROUP BY person_key HAVING count(*) > 1)"));
    }

    private long Scalar(string sql)
    {
        using DuckDBConnection connection = _log.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
