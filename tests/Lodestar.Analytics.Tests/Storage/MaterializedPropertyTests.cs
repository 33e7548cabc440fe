using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Lodestar.Analytics.Queries;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// Materialized property columns: the column holds exactly what <c>json_extract_string</c> gives, and queries answer
/// the same (worked out by hand) before materializing, while the fill is part-way, after it, for events appended later,
/// after a merge, a deleted person, a restart and a slice written without its watermark.
/// </summary>
public sealed class MaterializedPropertyTests : IDisposable
{
    private static readonly DateTimeOffset Now = EventLog.T("2024-02-01T00:00:00Z");
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private void Materialize(string property) => _log.Store.Materialize(EventLog.App, property, auto: false, Now);

    private void FillAll(long slice = 1_000)
    {
        while (_log.Store.FillMaterialized(slice) is not null)
        {
        }
    }

    private long Watermark(string property) => _log.Store.MaterializedProperties(EventLog.App).Single(p => p.Property == property).FilledTo;

    private object? Scalar(string sql)
    {
        using var connection = _log.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void AddRaw(string person, string name, string time, string json) =>
        _log.Add(person, name, time, JsonNode.Parse(json));

    /// <summary>The text a row's materialized id stands for, as SQL over <c>events</c> (NULL for a NULL id).</summary>
    private static string TextOf(string property)
    {
        string column = DuckDbEventStore.ColumnOf(property);
        return $"(SELECT d.v FROM \"{DuckDbEventStore.ValuesTableOf(column)}\" d WHERE d.id = events.\"{column}\")";
    }

    [Fact]
    public void Column_HoldsWhatJsonExtractStringGives_ForEveryKindOfValueAndOddKeys()
    {
        string[] properties = ["s", "n", "we'ird key", "dots.in.key", "$messageId", "sp ace", "ü", "empty", "missing"];
        AddRaw("p1", "E", "2024-01-01T00:00:00Z",
            """{"s": "a", "n": 1, "we'ird key": "q'uote", "dots.in.key": true, "$messageId": "m1", "sp ace": {"x": [1, "b", null]}, "ü": "✓", "empty": ""}""");
        AddRaw("p1", "E", "2024-01-01T00:00:01Z",
            """{"s": "\"quoted\" \\ back\nslash", "n": 1.0, "we'ird key": false, "dots.in.key": null, "$messageId": [1, 2], "sp ace": -0, "ü": 1e3, "empty": 12345678901234567890123}""");
        AddRaw("p2", "E", "2024-01-01T00:00:02Z", """{"s": 123, "n": -2.50, "we'ird key": {"a": {"b": 1}}, "sp ace": "x", "dots": {"in": {"key": "nested, not the dotted key"}}}""");
        AddRaw("p2", "E", "2024-01-01T00:00:03Z", "{}");
        AddRaw("p2", "E", "2024-01-01T00:00:04Z", "[1, 2]");
        _log.Add("p3", "E", "2024-01-01T00:00:05Z");
        foreach (string property in properties) Materialize(property);
        FillAll(slice: 2);

        foreach (string property in properties)
        {
            string path = DuckDbEventStore.PropertyPath(property);
            long mismatches = Convert.ToInt64(Scalar($"SELECT count(*) FROM events WHERE {TextOf(property)} IS DISTINCT FROM json_extract_string(properties, {path})"), CultureInfo.InvariantCulture);
            Assert.True(mismatches == 0, $"{property}: {mismatches} rows differ from json_extract_string");
            Assert.Equal(6L, Watermark(property));
        }

        // By hand: strings unquoted (escapes decoded), other values as JSON text, missing keys and non-objects NULL.
        string Value(string property, long seq) => Scalar($"SELECT coalesce({TextOf(property)}, '<null>') FROM events WHERE seq = {seq}")!.ToString()!;
        Assert.Equal("a", Value("s", 1));
        Assert.Equal("\"quoted\" \\ back\nslash", Value("s", 2));
        Assert.Equal("123", Value("s", 3));
        Assert.Equal("q'uote", Value("we'ird key", 1));
        Assert.Equal("false", Value("we'ird key", 2));
        Assert.Equal("true", Value("dots.in.key", 1));
        Assert.Equal("<null>", Value("dots.in.key", 3));
        Assert.Equal("m1", Value("$messageId", 1));
        Assert.Equal("✓", Value("ü", 1));
        Assert.Equal("", Value("empty", 1));
        Assert.Equal("x", Value("sp ace", 3));
        Assert.StartsWith("{", Value("sp ace", 1), StringComparison.Ordinal);
        Assert.StartsWith("[", Value("$messageId", 2), StringComparison.Ordinal);
        Assert.Equal("<null>", Value("s", 4));
        Assert.Equal("<null>", Value("s", 5));
        Assert.Equal("<null>", Value("s", 6));
        Assert.Equal("<null>", Value("missing", 1));
    }

    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = EventLog.T("2024-01-02T23:59:59Z");

    /// <summary>Daily View counts by category, uniques of category "books", and counts with price &gt; 10, as one line each.</summary>
    private async Task<string> Answers()
    {
        var byCategory = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "View" }], Interval = "day", From = From, To = To, Breakdown = new Breakdown { Property = "category" },
        }, default);
        string Points(TrendLine line) => string.Join(",", line.Points.Select(p => (p.Value ?? 0).ToString(CultureInfo.InvariantCulture)));
        string categories = string.Join(" ", byCategory.Series.OrderBy(s => s.BreakdownValue ?? "~", StringComparer.Ordinal)
            .Select(s => $"{s.BreakdownValue ?? "(none)"}:{Points(s)}"));
        var books = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "View", Math = "uniques", Filters = [Filter("category", "eq", "\"books\"")] }], Interval = "day", From = From, To = To,
        }, default);
        var expensive = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "View", Filters = [Filter("price", "gt", "10")] }], Interval = "day", From = From, To = To,
        }, default);
        return $"{categories} | books uniques {Points(books.Series.Single())} | price>10 {Points(expensive.Series.Single())}";
    }

    private static EventFilter Filter(string property, string op, string json) =>
        new() { Property = property, Operator = op, Value = JsonDocument.Parse(json).RootElement.Clone() };

    [Fact]
    public async Task Queries_AnswerTheSame_ThroughFillAppendMergeDeleteAndRestart()
    {
        _log.Add("p1", "View", "2024-01-01T10:00:00Z", new { category = "toys", price = 5 });     // 1
        _log.Add("p1", "View", "2024-01-01T11:00:00Z", new { category = "toys" });                // 2
        _log.Add("p2", "View", "2024-01-01T12:00:00Z", new { category = "books", price = 12.5 }); // 3
        _log.Add("p3", "View", "2024-01-01T13:00:00Z", new { category = 7 });                     // 4
        _log.Add("p4", "View", "2024-01-01T14:00:00Z", new { price = 1 });                        // 5
        _log.Add("a1", "View", "2024-01-01T15:00:00Z", new { category = "books" });               // 6
        _log.Add("p2", "View", "2024-01-02T10:00:00Z", new { category = "toys" });                // 7
        _log.Add("p3", "View", "2024-01-02T11:00:00Z", new { category = "books" });               // 8
        _log.Add("p1", "Buy", "2024-01-02T12:00:00Z", new { category = "toys", price = 50 });     // 9
        const string initial = "7:1,0 books:2,1 toys:2,1 (none):1,0 | books uniques 2,1 | price>10 1,0";
        Assert.Equal(initial, await Answers());

        Materialize("category");
        Materialize("price");
        Assert.Equal(initial, await Answers());

        // Part-way: the first 3 events from the columns, the rest from the JSON.
        Assert.NotNull(_log.Store.FillMaterialized(3));
        Assert.NotNull(_log.Store.FillMaterialized(3));
        Assert.Equal(3L, Watermark("category"));
        Assert.Equal(3L, Watermark("price"));
        Assert.Equal(initial, await Answers());

        FillAll();
        Assert.Equal(9L, Watermark("category"));
        Assert.Equal(initial, await Answers());

        // Appended after materializing: read from the JSON until the fill reaches them, then from the column.
        _log.Add("p5", "View", "2024-01-02T13:00:00Z", new { category = "toys" });                // 10
        _log.Add("p1", "View", "2024-01-02T14:00:00Z", new { category = "music", price = 99 });   // 11
        const string appended = "7:1,0 books:2,1 music:0,1 toys:2,2 (none):1,0 | books uniques 2,1 | price>10 1,1";
        Assert.Equal(9L, Watermark("category"));
        Assert.Equal(appended, await Answers());
        FillAll();
        Assert.Equal(11L, Watermark("category"));
        Assert.Equal(appended, await Answers());

        // A merge: a1's books view on day 1 now belongs to p2, who viewed books that day too.
        _log.Merge("a1", "p2");
        Assert.Equal(appended.Replace("books uniques 2,1", "books uniques 1,1", StringComparison.Ordinal), await Answers());

        // Deleting p2 deletes its events and those of a1, merged into it (3, 6, 7).
        Assert.Equal(3L, _log.Store.DeletePerson(EventLog.App, "p2"));
        const string deleted = "7:1,0 books:0,1 music:0,1 toys:2,1 (none):1,0 | books uniques 0,1 | price>10 0,1";
        Assert.Equal(deleted, await Answers());
        FillAll();
        Assert.Equal(deleted, await Answers());

        // A restart keeps the columns and their watermarks.
        _log.Reopen(_ => { });
        Assert.Equal(11L, Watermark("category"));
        Assert.Equal(deleted, await Answers());

        // A slice whose rows were written but whose watermark was not (as a crash between the two would leave, were
        // they not one transaction) is not trusted: readers take the JSON above the watermark, the next fill rewrites it.
        _log.Add("p6", "View", "2024-01-02T15:00:00Z", new { category = "toys" });                // 12
        string column = DuckDbEventStore.ColumnOf("category");
        string values = DuckDbEventStore.ValuesTableOf(column);
        _log.Reopen(c => Execute(c, $"INSERT INTO \"{values}\" VALUES (999, 'garbage'); UPDATE events SET \"{column}\" = 999 WHERE seq = 12"));
        const string last = "7:1,0 books:0,1 music:0,1 toys:2,2 (none):1,0 | books uniques 0,1 | price>10 0,1";
        Assert.Equal(last, await Answers());
        FillAll();
        Assert.Equal(12L, Watermark("category"));
        Assert.Equal("toys", Scalar($"SELECT {TextOf("category")} FROM events WHERE seq = 12"));
        Assert.Equal(last, await Answers());

        // Unmaterialized: back to the JSON at once; the column goes at the next open.
        Assert.True(_log.Store.Unmaterialize(EventLog.App, "category"));
        Assert.False(_log.Store.Unmaterialize(EventLog.App, "category"));
        Assert.Equal(last, await Answers());
        _log.Reopen(_ => { });
        Assert.Equal(0L, Convert.ToInt64(Scalar($"SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' AND column_name = '{column}'"), CultureInfo.InvariantCulture));
        Assert.Equal(1L, Convert.ToInt64(Scalar($"SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' AND column_name = '{DuckDbEventStore.ColumnOf("price")}'"), CultureInfo.InvariantCulture));
        Assert.Equal(last, await Answers());
    }

    [Fact]
    public async Task Funnel_StepFiltersOnMaterializedProperties_ReadEventsAboveTheWatermarkFromTheJson()
    {
        _log.Add("p1", "View", "2024-01-01T10:00:00Z", new { category = "toys" });
        _log.Add("p1", "Buy", "2024-01-01T12:00:00Z", new { price = 50 });
        _log.Add("p2", "View", "2024-01-01T10:00:00Z", new { category = "books" });
        _log.Add("p2", "Buy", "2024-01-01T11:00:00Z", new { price = 20 });
        Materialize("category");
        Materialize("price");
        FillAll();
        Assert.Equal(4L, Watermark("category"));
        // Above the watermark: p3 converts, p4 views toys but buys for 5, p5 buys for 30 but viewed books.
        _log.Add("p3", "View", "2024-01-01T13:00:00Z", new { category = "toys" });
        _log.Add("p3", "Buy", "2024-01-01T14:00:00Z", new { price = 30 });
        _log.Add("p4", "View", "2024-01-01T13:00:00Z", new { category = "toys" });
        _log.Add("p4", "Buy", "2024-01-01T14:00:00Z", new { price = 5 });
        _log.Add("p5", "View", "2024-01-01T13:00:00Z", new { category = "books" });
        _log.Add("p5", "Buy", "2024-01-01T14:00:00Z", new { price = 30 });

        async Task<string> Funnel()
        {
            var result = await _log.Engine.FunnelAsync(EventLog.App, new FunnelQuery
            {
                Steps =
                [
                    new FunnelStep { Event = "View", Filters = [Filter("category", "eq", "\"toys\"")] },
                    new FunnelStep { Event = "Buy", Filters = [Filter("price", "gt", "10")] },
                ],
                Window = "1d", From = From, To = To,
            }, default);
            return string.Join(",", result.Steps.Select(s => s.Persons));
        }

        // Entered: p1, p3, p4 (toys); converted: p1 (50) and p3 (30). Worked by hand.
        Assert.Equal("3,2", await Funnel());
        FillAll();
        Assert.Equal(10L, Watermark("category"));
        Assert.Equal("3,2", await Funnel());
    }

    [Fact]
    public async Task Readers_TakeTheColumnBelowTheWatermark_AndTheJsonAbove()
    {
        _log.Add("p1", "View", "2024-01-01T10:00:00Z", new { category = "toys" });
        _log.Add("p2", "View", "2024-01-01T11:00:00Z", new { category = "books" });
        Materialize("category");
        FillAll();
        _log.Add("p3", "View", "2024-01-01T12:00:00Z", new { category = "games" });
        string column = DuckDbEventStore.ColumnOf("category");
        // Tampering shows which source each row is read from: rows 1–2 (filled) from the column, row 3 from the JSON.
        _log.Reopen(c => Execute(c, $"""
            INSERT INTO "{DuckDbEventStore.ValuesTableOf(column)}" SELECT 1000 + seq, 'from-column-' || seq FROM events;
            UPDATE events SET "{column}" = 1000 + seq;
            """));
        Assert.Equal("from-column-1:1,0 from-column-2:1,0 games:1,0 | books uniques 0,0 | price>10 0,0", await Answers());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Trend_TotalMinMaxByProperty_CombineFromPartials_ByHand(bool materialized)
    {
        _log.Add("p1", "Buy", "2024-01-01T10:00:00Z", new { currency = "EUR" }, value: 10);
        _log.Add("p1", "Buy", "2024-01-01T11:00:00Z", new { currency = "USD" }, value: 20);
        _log.Add("p2", "Buy", "2024-01-01T12:00:00Z", new { currency = "EUR" }, value: 30);
        _log.Add("p2", "Buy", "2024-01-02T12:00:00Z", value: 40);
        _log.Add("p3", "Buy", "2024-01-02T13:00:00Z", new { currency = "EUR" });
        if (materialized)
        {
            Materialize("currency");
            FillAll();
        }

        async Task<string> Trend(string math)
        {
            var result = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
            {
                Series = [new TrendSeries { Event = "Buy", Math = math }], Interval = "day", From = From, To = To, Breakdown = new Breakdown { Property = "currency" },
            }, default);
            return string.Join(" ", result.Series.OrderBy(s => s.BreakdownValue ?? "~", StringComparer.Ordinal)
                .Select(s => $"{s.BreakdownValue ?? "(none)"}:{string.Join(",", s.Points.Select(p => p.Value?.ToString(CultureInfo.InvariantCulture) ?? "-"))}"));
        }

        Assert.Equal("EUR:2,1 USD:1,0 (none):0,1", await Trend("total"));
        Assert.Equal("EUR:10,- USD:20,- (none):-,40", await Trend("min"));
        Assert.Equal("EUR:30,- USD:20,- (none):-,40", await Trend("max"));
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
