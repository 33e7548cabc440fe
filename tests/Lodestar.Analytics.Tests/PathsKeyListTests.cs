using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Queries;
using Lodestar.Analytics.Sql;

namespace Lodestar.Analytics.Tests;

/// <summary>
/// The key-list plan of paths (one aggregate per stored key, names packed in the key) and the exact plan it leaves
/// persons to, checked together against a brute-force reference on random histories: fine clocks with some equal
/// timestamps, events before the anchor and outside the range, merges, excluded and internal events, names with quotes
/// and non-ASCII letters, persons with fewer events than the depth, and a name catalog that misses a name.
/// </summary>
public sealed class PathsKeyListTests : IDisposable
{
    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly string[] Names = ["A", "B", "C", "it's", "Ünï 名", "E"];

    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private void RandomHistories(int seed, bool fromStart)
    {
        var random = new Random(seed);
        var rows = new List<(string Person, string Name, DateTimeOffset Time, bool Internal)>();
        for (int p = 0; p < 90; p++)
        {
            int count = random.Next(0, 9);
            // Most persons do the anchor first (last, for end paths): the common case the key lists answer; the rest anywhere.
            bool anchorFirst = p % 3 != 0;
            int side = fromStart ? 1 : -1;
            var start = From.AddSeconds(random.Next(-1800, 3 * 3600));
            if (anchorFirst && count > 0) rows.Add(($"k{p:00}", "A", start, false));
            for (int i = anchorFirst ? 1 : 0; i < count; i++)
            {
                var at = start.AddSeconds(side * random.Next(anchorFirst ? 1 : -3600, 3600));
                rows.Add(($"k{p:00}", Names[random.Next(Names.Length)], at, false));
            }

            // Equal timestamps for some persons, internal events that must not count for others.
            if (p % 7 == 0 && count > 1) rows.Add(($"k{p:00}", Names[random.Next(Names.Length)], rows[^1].Time, false));
            if (p % 11 == 0) rows.Add(($"k{p:00}", "A", start.AddSeconds(-5), true));
        }

        foreach (var (person, name, time, @internal) in rows.OrderBy(_ => random.Next()))
            _log.Add(person, name, time.ToString("O"), @internal: @internal);
        for (int p = 0; p < 90; p += 10) _log.Merge($"k{p + 1:00}", $"k{p:00}");
        _log.Merge("k02", "k00");
    }

    /// <summary>Each person's path by brute force: events in range, not excluded, by (time, arrival), from the anchor.</summary>
    private Dictionary<string, long> Expected(PathsQuery query)
    {
        bool fromStart = query.StartEvent is not null;
        string anchor = query.StartEvent ?? query.EndEvent!;
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var person in _log.Events.GroupBy(e => _log.PersonOf(e.Person)))
        {
            var events = person.Where(e => e.Time >= query.From && e.Time <= query.To && !(query.Exclude ?? []).Contains(e.Name))
                .OrderBy(e => e.Time).ThenBy(e => e.Seq).ToList();
            if (!fromStart) events.Reverse();
            int at = events.FindIndex(e => e.Name == anchor);
            if (at < 0) continue;
            var steps = events.Skip(at).Take(query.Depth!.Value).Select(e => e.Name).ToList();
            if (!fromStart) steps.Reverse();
            string path = string.Join(" > ", steps);
            expected[path] = expected.GetValueOrDefault(path) + 1;
        }

        return expected;
    }

    /// <summary>Runs the key-list statement (the key lists, and the exact plan for the persons they leave), as the engine does.</summary>
    private (Dictionary<string, long> Paths, long ByLists, long ByExact) RunDialect(PathsQuery query, IReadOnlyList<string> catalog)
    {
        var plan = QueryPlanner.Plan(query);
        var dialect = new DuckDbDialect();
        var scope = new SqlScope(EventLog.App, _log.Overrides.Count > 0, new Dictionary<string, string>(), new Dictionary<string, double>())
        {
            EventNames = catalog,
        };
        var paths = new Dictionary<string, long>(StringComparer.Ordinal);
        long byLists = 0, byExact = 0;
        using var connection = _log.Store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = dialect.PathsByKeyLists(plan, scope) ?? throw new InvalidOperationException("the key-list plan should apply");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var steps = ((System.Collections.IEnumerable)reader.GetValue(0)).Cast<object>().Select(o => (string)o).ToList();
            if (!plan.FromStart) steps.Reverse();
            long persons = Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            if (reader.GetBoolean(2)) byLists += persons;
            else byExact += persons;
            string key = string.Join(" > ", steps);
            paths[key] = paths.GetValueOrDefault(key) + persons;
        }

        return (paths, byLists, byExact);
    }

    private static PathsQuery Query(bool fromStart, int depth) => new()
    {
        StartEvent = fromStart ? "A" : null, EndEvent = fromStart ? null : "A", Depth = depth, MaxNodesPerStep = 100,
        Exclude = ["E"], From = From, To = From.AddHours(3),
    };

    [Theory]
    [InlineData(1, true, 3)]
    [InlineData(2, false, 4)]
    [InlineData(3, true, 2)]
    [InlineData(4, true, 5)]
    [InlineData(5, false, 2)]
    public void KeyLists_AndTheExactRest_MatchBruteForce(int seed, bool fromStart, int depth)
    {
        RandomHistories(seed, fromStart);
        var query = Query(fromStart, depth);

        var (paths, byLists, byExact) = RunDialect(query, Names);

        // Both routes must carry persons, or the comparison would not test one of them.
        Assert.True(byLists > 20, $"the key lists answered only {byLists} persons");
        Assert.True(byExact > 5, $"only {byExact} persons were left to the exact plan");
        var expected = Expected(query);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), paths.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(6, true)]
    [InlineData(7, false)]
    public void KeyLists_WithANameMissingFromTheCatalog_LeaveThosePersonsToTheExactPlan(int seed, bool fromStart)
    {
        RandomHistories(seed, fromStart);
        var query = Query(fromStart, 3);

        // "C" (and the excluded "E") unknown: persons with a C in their path must go to the exact plan.
        var (paths, _, byExact) = RunDialect(query, ["Ünï 名", "A", "it's", "B"]);

        Assert.True(byExact > 10, $"only {byExact} persons were left to the exact plan");
        Assert.Contains(paths.Keys, p => p.Contains('C', StringComparison.Ordinal));
        Assert.Equal(Expected(query).OrderBy(p => p.Key, StringComparer.Ordinal), paths.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(8, true, 4)]
    [InlineData(9, false, 3)]
    public async Task Engine_Paths_MatchBruteForce_AndTheCatalogLearnsNewNames(int seed, bool fromStart, int depth)
    {
        RandomHistories(seed, fromStart);
        var query = Query(fromStart, depth);
        string Nodes(Dictionary<string, long> expected) => string.Join(", ", expected
            .SelectMany(p =>
            {
                var steps = p.Key.Split(" > ");
                return steps.Select((s, i) => (Id: $"{(fromStart ? i : depth - steps.Length + i)}:{s}", p.Value));
            })
            .GroupBy(n => n.Id).Select(g => $"{g.Key}={g.Sum(n => n.Value)}").Order(StringComparer.Ordinal));

        var first = await _log.Engine.PathsAsync(EventLog.App, query, default);
        Assert.Equal(Nodes(Expected(query)), string.Join(", ", first.Nodes.Select(n => $"{n.Id}={n.Persons}").Order(StringComparer.Ordinal)));

        // A name first stored after the catalog was read, at the persons' anchor time + 1 s: in many paths.
        foreach (var person in _log.Events.Where(e => e.Name == "A").Select(e => (e.Person, e.Time)).ToList())
            _log.Add(person.Person, "New \"one\"", person.Time.AddSeconds(fromStart ? 1 : -1).ToString("O"));
        var second = await _log.Engine.PathsAsync(EventLog.App, query, default);
        var expected = Expected(query);
        Assert.Contains(expected.Keys, p => p.Contains("New \"one\"", StringComparison.Ordinal));
        Assert.Equal(Nodes(expected), string.Join(", ", second.Nodes.Select(n => $"{n.Id}={n.Persons}").Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Catalog_ListsNamesOnce_InFirstSeenOrder_AndGivesUpPastTheLimit()
    {
        _log.Add("p", "B", "2024-01-01T10:00:00Z").Add("p", "A", "2024-01-01T09:00:00Z").Add("p", "B", "2024-01-01T11:00:00Z")
            .Add("p", "Hidden", "2024-01-01T11:00:00Z", @internal: true);
        var catalog = new EventNameCatalog();
        using var connection = _log.Store.OpenConnection();
        using var session = new QuerySession(connection, default);

        Assert.Equal(["B", "A"], catalog.Names(session, EventLog.App, 62));
        _log.Add("p", "C", "2024-01-01T08:00:00Z").Add("p", "Hidden too", "2024-01-01T08:00:00Z", @internal: true);
        Assert.Equal(["B", "A", "C"], catalog.Names(session, EventLog.App, 62));
        Assert.Null(catalog.Names(session, EventLog.App, 2));
    }
}
