using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Lodestar.Analytics.Queries;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Tests.Storage;

/// <summary>
/// The id form of materialized properties: one id per distinct text (whatever its JSON spelling), none for NULL, ids
/// stable as new texts arrive, breakdowns and filters equal to a brute-force reference worked out in C# on random data
/// at every stage of the fill, a wrong id mapping caught, the earlier VARCHAR form migrated at open, and texts no event
/// references forgotten after a person's deletion.
/// </summary>
public sealed class MaterializedIdTests : IDisposable
{
    private static readonly DateTimeOffset Now = EventLog.T("2024-02-01T00:00:00Z");
    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = EventLog.T("2024-01-03T23:59:59Z");
    private static readonly string Column = DuckDbEventStore.ColumnOf("category");
    private static readonly string Values = DuckDbEventStore.ValuesTableOf(Column);
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private void FillAll(long slice = 1_000)
    {
        while (_log.Store.FillMaterialized(slice) is not null)
        {
        }
    }

    private long Watermark() => _log.Store.MaterializedProperties(EventLog.App).Single(p => p.Property == "category").FilledTo;

    private List<object?[]> Rows(string sql)
    {
        using var connection = _log.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }

        return rows;
    }

    private Dictionary<string, int> IdsByText() =>
        Rows($"SELECT v, id FROM \"{Values}\"").ToDictionary(r => (string)r[0]!, r => Convert.ToInt32(r[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private int? IdAt(long seq) => Rows($"SELECT \"{Column}\" FROM events WHERE seq = {seq}").Single()[0] is { } id ? Convert.ToInt32(id, CultureInfo.InvariantCulture) : null;

    private long Mismatches() => Convert.ToInt64(Rows($"""
        SELECT count(*) FROM events
        WHERE seq <= {Watermark()} AND (SELECT d.v FROM "{Values}" d WHERE d.id = events."{Column}") IS DISTINCT FROM json_extract_string(properties, '$."category"')
        """).Single()[0], CultureInfo.InvariantCulture);

    [Fact]
    public void Fill_GivesOneIdPerText_WhateverItsSpelling_NoneForNull_AndKeepsIdsAsNewTextsArrive()
    {
        _log.Add("p1", "View", "2024-01-01T10:00:00Z", JsonNode.Parse("""{"category": "toys"}"""));              // 1
        _log.Add("p1", "View", "2024-01-01T10:00:01Z", JsonNode.Parse("""{"category":"t\u006fys"}"""));          // 2 same text
        _log.Add("p1", "View", "2024-01-01T10:00:02Z", JsonNode.Parse("""{"category": "café"}"""));              // 3
        _log.Add("p1", "View", "2024-01-01T10:00:03Z", JsonNode.Parse("""{"category": "caf\u00e9"}"""));         // 4 same text
        _log.Add("p1", "View", "2024-01-01T10:00:04Z", JsonNode.Parse("""{"category": null}"""));                // 5 NULL
        _log.Add("p1", "View", "2024-01-01T10:00:05Z", JsonNode.Parse("""{"other": 1}"""));                      // 6 NULL
        _log.Add("p1", "View", "2024-01-01T10:00:06Z");                                                          // 7 NULL (no properties)
        _log.Add("p1", "View", "2024-01-01T10:00:07Z", JsonNode.Parse("""{"category": "null"}"""));              // 8 the text "null"
        _log.Add("p1", "View", "2024-01-01T10:00:08Z", JsonNode.Parse("""{"category": 7}"""));                   // 9 "7"
        _log.Add("p1", "View", "2024-01-01T10:00:09Z", JsonNode.Parse("""{"category": "7"}"""));                 // 10 "7" too
        _log.Store.Materialize(EventLog.App, "category", auto: false, Now);
        FillAll(slice: 3);
        Assert.Equal(10L, Watermark());

        var ids = IdsByText();
        Assert.Equal(["7", "café", "null", "toys"], ids.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(ids.Count, ids.Values.Distinct().Count());
        Assert.Equal(ids["toys"], IdAt(1));
        Assert.Equal(ids["toys"], IdAt(2));
        Assert.Equal(ids["café"], IdAt(3));
        Assert.Equal(ids["café"], IdAt(4));
        Assert.Null(IdAt(5));
        Assert.Null(IdAt(6));
        Assert.Null(IdAt(7));
        Assert.Equal(ids["null"], IdAt(8));
        Assert.Equal(ids["7"], IdAt(9));
        Assert.Equal(ids["7"], IdAt(10));
        Assert.Equal(0L, Mismatches());

        // New texts arriving later get new ids; the texts seen before keep theirs.
        _log.Add("p2", "View", "2024-01-02T10:00:00Z", JsonNode.Parse("""{"category": "games"}"""));            // 11
        _log.Add("p2", "View", "2024-01-02T10:00:01Z", JsonNode.Parse("""{ "category" : "toys" }"""));          // 12
        _log.Add("p2", "View", "2024-01-02T10:00:02Z", JsonNode.Parse("""{"category": "Toys"}"""));             // 13 another text
        FillAll(slice: 2);
        var after = IdsByText();
        foreach (var (text, id) in ids) Assert.Equal(id, after[text]);
        Assert.Equal(6, after.Count);
        Assert.True(after["games"] > ids.Values.Max() && after["Toys"] > ids.Values.Max());
        Assert.Equal(ids["toys"], IdAt(12));
        Assert.Equal(after["Toys"], IdAt(13));
        Assert.Equal(0L, Mismatches());
    }

    // ---- random data against a brute-force reference ----

    /// <summary>Category values with the text <c>json_extract_string</c> gives for each, worked out by hand (null: none).</summary>
    private static readonly (string? Json, string? Text)[] Pool =
    [
        ("\"toys\"", "toys"), ("\"books\"", "books"), ("\"t\\u006fys\"", "toys"), ("\"\"", ""), ("\"it's\"", "it's"),
        ("\"a \\\"q\\\" b\"", "a \"q\" b"), ("\"ünï\"", "ünï"), ("\"Toys\"", "Toys"), ("7", "7"), ("\"7\"", "7"), ("true", "true"),
        ("null", null), (null, null), ("\"null\"", "null"), ("\"games\"", "games"), ("\"music\"", "music"),
    ];

    private sealed record RandomEvent(string Name, DateTimeOffset Time, string? Text, int Price);

    private List<RandomEvent> AddRandom(Random random, int count, List<RandomEvent> into)
    {
        for (int i = 0; i < count; i++)
        {
            var (json, text) = Pool[random.Next(Pool.Length)];
            string name = random.Next(4) == 0 ? "Buy" : "View";
            var time = From.AddSeconds(random.Next(3 * 86_400));
            int price = random.Next(1, 100);
            string properties = json is null ? $$"""{"price": {{price}}}""" : $$"""{"category": {{json}}, "price": {{price}}}""";
            _log.Add("p" + random.Next(20).ToString(CultureInfo.InvariantCulture), name, time.ToString("O", CultureInfo.InvariantCulture), JsonNode.Parse(properties));
            into.Add(new RandomEvent(name, time, text, price));
        }

        return into;
    }

    private static string Canonical(IEnumerable<(string? Value, int Day, double Number)> cells) =>
        string.Join(" ", cells.OrderBy(c => c.Value ?? "\uffff", StringComparer.Ordinal).ThenBy(c => c.Day)
            .Select(c => $"{c.Value ?? "(none)"}@{c.Day}={c.Number.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>The reference: daily count, min and max of price of View events by category text.</summary>
    private static string Reference(List<RandomEvent> events, string math)
    {
        var cells = events.Where(e => e.Name == "View")
            .GroupBy(e => (e.Text, Day: (int)(e.Time - From).TotalDays))
            .Select(g => (g.Key.Text, g.Key.Day, math switch
            {
                "total" => (double)g.Count(),
                "min" => g.Min(e => e.Price),
                _ => g.Max(e => e.Price),
            }));
        return Canonical(cells);
    }

    private async Task<string> Engine(string math)
    {
        var result = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "View", Math = math, Property = math == "total" ? null : "price" }],
            Interval = "day", From = From, To = To, Breakdown = new Breakdown { Property = "category" },
        }, default);
        Assert.DoesNotContain(result.Series, s => s.IsOther);
        return Canonical(result.Series.SelectMany(s => s.Points.Select((p, day) => (s.BreakdownValue, day, p.Value)))
            .Where(c => c.Value is not null && (math != "total" || c.Value != 0)).Select(c => (c.BreakdownValue, c.day, c.Value!.Value)));
    }

    private async Task<long> Count(string op, string json)
    {
        var result = await _log.Engine.TrendsAsync(EventLog.App, new TrendsQuery
        {
            Series = [new TrendSeries { Event = "View", Filters = [new EventFilter { Property = "category", Operator = op, Value = JsonDocument.Parse(json).RootElement.Clone() }] }],
            Interval = "day", From = From, To = To,
        }, default);
        return (long)result.Series.Single().Points.Sum(p => p.Value ?? 0);
    }

    private async Task AssertEqualsReference(List<RandomEvent> events, string stage)
    {
        foreach (string math in new[] { "total", "min", "max" })
            Assert.True(Reference(events, math) == await Engine(math), $"{stage}, {math}:\nexpected {Reference(events, math)}\nactual   {await Engine(math)}");
        var views = events.Where(e => e.Name == "View").ToList();
        Assert.Equal(views.Count(e => e.Text == "toys"), await Count("eq", "\"toys\""));
        Assert.Equal(views.Count(e => e.Text != "7"), await Count("neq", "7"));
        Assert.Equal(views.Count(e => e.Text is "books" or "it's"), await Count("in", "[\"books\", \"it's\"]"));
        Assert.Equal(views.Count(e => e.Text is not null && e.Text.Contains("oy", StringComparison.OrdinalIgnoreCase)), await Count("contains", "\"OY\""));
        Assert.Equal(views.Count(e => e.Text is null), await Count("isNotSet", "null"));
        Assert.Equal(views.Count(e => e.Text is "7"), await Count("gt", "6.5"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Breakdown_AndFilters_EqualABruteForceReference_AtEveryStageOfTheFill(int seed)
    {
        var random = new Random(seed);
        var events = AddRandom(random, 300, []);
        await AssertEqualsReference(events, "JSON");
        _log.Store.Materialize(EventLog.App, "category", auto: false, Now);
        // The min/max series read price as a number through its own materialized column (text joined from its value
        // table) while the breakdown groups by the category's id: both forms in one EventsTable.
        _log.Store.Materialize(EventLog.App, "price", auto: false, Now);
        Assert.NotNull(_log.Store.FillMaterialized(1 + random.Next(250)));
        Assert.NotNull(_log.Store.FillMaterialized(1 + random.Next(250)));
        await AssertEqualsReference(events, "part-filled");
        FillAll(slice: 37);
        await AssertEqualsReference(events, "filled");
        AddRandom(random, 100, events);
        await AssertEqualsReference(events, "appended above the watermark");
        Assert.NotNull(_log.Store.FillMaterialized(50));
        await AssertEqualsReference(events, "appended, part-filled");
        FillAll(slice: 37);
        Assert.Equal(400L, Watermark());
        Assert.Equal(0L, Mismatches());
        await AssertEqualsReference(events, "appended, filled");
    }

    [Fact]
    public async Task AWrongIdMapping_IsCaughtByTheReference()
    {
        var events = AddRandom(new Random(7), 200, []);
        _log.Store.Materialize(EventLog.App, "category", auto: false, Now);
        FillAll();
        await AssertEqualsReference(events, "filled");
        // The mutation: two ids swap their texts. Both readers of the id (the breakdown's mapping after the grouping and
        // the filters' join) must now disagree with the reference.
        var ids = IdsByText();
        var views = events.Where(e => e.Name == "View").ToList();
        int toys = views.Count(e => e.Text == "toys");
        string other = ids.Keys.Order(StringComparer.Ordinal).First(t => views.Count(e => e.Text == t) != toys);
        _log.Reopen(c => Execute(c, $"""
            UPDATE "{Values}" SET v = 'swap' WHERE id = {ids["toys"]};
            UPDATE "{Values}" SET v = 'toys' WHERE id = {ids[other]};
            UPDATE "{Values}" SET v = {DuckDbDialectText(other)} WHERE id = {ids["toys"]};
            """));
        Assert.NotEqual(Reference(events, "total"), await Engine("total"));
        Assert.Equal(views.Count(e => e.Text == other), await Count("eq", "\"toys\""));
        Assert.NotEqual(0L, Mismatches());
    }

    [Fact]
    public async Task AColumnOfTheEarlierTextForm_IsMigratedAtOpen_AndFilledAgain()
    {
        var events = AddRandom(new Random(11), 200, []);
        _log.Store.Materialize(EventLog.App, "category", auto: false, Now);
        FillAll();
        // The data file as the earlier form left it: a VARCHAR column holding the text, no value table.
        _log.Reopen(c => Execute(c, $"""
            ALTER TABLE events DROP COLUMN "{Column}";
            ALTER TABLE events ADD COLUMN "{Column}" VARCHAR;
            UPDATE events SET "{Column}" = json_extract_string(properties, '$."category"');
            DROP TABLE "{Values}";
            """));
        Assert.Equal("INTEGER", Rows($"SELECT data_type FROM duckdb_columns() WHERE table_name = 'events' AND column_name = '{Column}'").Single()[0]);
        Assert.Equal(0L, Watermark());
        Assert.Empty(IdsByText());
        await AssertEqualsReference(events, "migrated, not filled yet");
        FillAll();
        Assert.Equal(200L, Watermark());
        Assert.Equal(0L, Mismatches());
        await AssertEqualsReference(events, "migrated and filled");
        // Appends still line up with the columns (the materialized one is still the last).
        AddRandom(new Random(12), 20, events);
        FillAll();
        Assert.Equal(0L, Mismatches());
        await AssertEqualsReference(events, "appended after the migration");
    }

    [Fact]
    public void DeletingAPerson_ForgetsTheTextsNoEventReferences_AndKeepsTheOthersIds()
    {
        _log.Add("p1", "View", "2024-01-01T10:00:00Z", new { category = "secret of p1" });
        _log.Add("p1", "View", "2024-01-01T10:00:01Z", new { category = "toys" });
        _log.Add("p2", "View", "2024-01-01T10:00:02Z", new { category = "toys" });
        _log.Store.Materialize(EventLog.App, "category", auto: false, Now);
        FillAll();
        var before = IdsByText();
        Assert.Equal(2L, _log.Store.DeletePerson(EventLog.App, "p1"));
        var after = IdsByText();
        Assert.Equal(["toys"], after.Keys.ToArray());
        Assert.Equal(before["toys"], after["toys"]);
        Assert.Equal(0L, Mismatches());
    }

    private static string DuckDbDialectText(string value) => Lodestar.Analytics.Sql.DuckDbDialect.Text(value);

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
