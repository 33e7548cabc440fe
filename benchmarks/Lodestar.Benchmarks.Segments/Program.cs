using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Analytics;
using Lodestar.Analytics.Demo;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Segments;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// Batch segment benchmark: the demo data (200,000 users, 90 days: ~10M events) appended straight into a DuckDB event
// store (identity merges recorded as the pipeline would), one profile per person; then the count of a 3-condition
// behavioral segment through SegmentBatchEvaluator against a hand-written DuckDB query for the same answer (the
// floor), alternating, median of N warm runs. Goal: ≤ 1 s.
// Usage: dotnet run -c Release --project benchmarks/Lodestar.Benchmarks.Segments -- [users] [days] [runs] [dataDir]
int users = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
int days = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 90;
int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
string dataDir = args.Length > 3 ? args[3] : Path.Combine(Path.GetTempPath(), $"lodestar-bench-segments-{users}-{days}");
const string App = "app_bench";

Directory.CreateDirectory(dataDir);
string file = Path.Combine(dataDir, "events.duckdb");
bool fresh = !File.Exists(file);
using var store = new DuckDbEventStore(file);
var generator = new DemoDataGenerator(users, days, seed: 1);
long mergedBefore;
using (var connection = store.OpenConnection())
using (var command = connection.CreateCommand())
{
    command.CommandText = $"SELECT count(*) FROM person_overrides WHERE app_id = '{App}'";
    mergedBefore = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
}

if (fresh || mergedBefore == 0)
{
    var fill = Stopwatch.StartNew();
    var personOf = new Dictionary<string, string>(StringComparer.Ordinal);
    var batch = new List<StoredEvent>(200_000);
    // Merges are applied after the events, in order, as RecordMerge would (chains flattened), in one bulk insert.
    var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
    var mergedInto = new Dictionary<string, List<string>>(StringComparer.Ordinal);
    long sequence = 0;
    foreach (var day in generator.Days())
    {
        foreach (var e in day)
        {
            // Identity as ingestion resolves it: a user id wins; an anonymous id seen with a user id merges into it.
            string person;
            if (e.UserId is { } user)
            {
                person = user;
                if (e.AnonymousId is { } anonymous && personOf.TryGetValue(anonymous, out var before) && before != user)
                {
                    var moved = mergedInto.Remove(before, out var earlier) ? earlier : [];
                    foreach (string old in moved) overrides[old] = user;
                    moved.Add(before);
                    overrides[before] = user;
                    if (mergedInto.TryGetValue(user, out var existing)) existing.AddRange(moved);
                    else mergedInto[user] = moved;
                }

                if (e.AnonymousId is { } anon) personOf[anon] = user;
            }
            else
            {
                person = personOf.TryGetValue(e.AnonymousId!, out var known) ? known : personOf[e.AnonymousId!] = e.AnonymousId!;
            }

            if (!fresh) continue;
            batch.Add(new StoredEvent { Sequence = ++sequence, AppId = App, PersonId = person, ReceivedAt = e.Timestamp, Event = DemoDataGenerator.ToIncoming(e) });
            if (batch.Count == batch.Capacity)
            {
                store.Append(batch);
                batch.Clear();
            }
        }
    }

    if (fresh) store.Append(batch);
    using (var connection = store.OpenConnection())
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"DELETE FROM person_overrides WHERE app_id = '{App}'";
            command.ExecuteNonQuery();
        }

        using (var appender = connection.CreateAppender("person_overrides"))
        {
            foreach (var (old, person) in overrides) appender.CreateRow().AppendValue(App).AppendValue(old).AppendValue(person).EndRow();
        }

        // The key twin RecordMerge keeps (every id merged here appeared in events, so it has a key).
        using var keys = connection.CreateCommand();
        keys.CommandText = $"""
            DELETE FROM person_key_overrides WHERE app_id = '{App}';
            INSERT INTO person_key_overrides
                SELECT o.app_id, a.person_key, b.person_key FROM person_overrides o
                JOIN persons a ON a.app_id = o.app_id AND a.person_id = o.old_person_id
                JOIN persons b ON b.app_id = o.app_id AND b.person_id = o.person_id
                WHERE o.app_id = '{App}';
            """;
        keys.ExecuteNonQuery();
    }

    Console.WriteLine($"Filled {sequence:N0} messages and {overrides.Count:N0} merges in {fill.Elapsed.TotalSeconds:F0} s");
}

var profiles = new BenchProfiles(store, App);
var options = Options.Create(new AnalyticsOptions { QueryTimeout = TimeSpan.FromMinutes(5) });
var runner = new DuckDbQueryRunner(store, new NoAttributes(), new NoDefinitions(), NullLogger<DuckDbQueryRunner>.Instance);
var batchEvaluator = new SegmentBatchEvaluator(runner, new SegmentMirror(profiles, NullLogger<SegmentMirror>.Instance), options);
var now = generator.End;
const string Criteria = """
    {"all": [
      {"event": "Purchase", "count": {"op": "gte", "value": 2}, "within": "30d"},
      {"event": "App Open", "within": "7d"},
      {"event": "Add to Cart", "filters": [{"property": "category", "op": "eq", "value": "shoes"}], "within": "60d"}
    ]}
    """;
var criteria = SegmentCriteriaParser.Parse(Criteria);
string Ts(TimeSpan ago) => (now - ago).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
string floorSql = $"""
    WITH ev AS (
        SELECT coalesce(o.person_key, e.person_key) AS pid, e.name, e.time, e.properties
        FROM events e LEFT JOIN person_key_overrides o ON o.old_key = e.person_key
        WHERE e.app_id = '{App}' AND NOT e.internal AND e.name IN ('Purchase', 'App Open', 'Add to Cart') AND e.time <= TIMESTAMP '{Ts(TimeSpan.Zero)}'
          AND e.time > TIMESTAMP '{Ts(TimeSpan.FromDays(60))}')
    SELECT count(*) FROM (
        SELECT pid FROM ev GROUP BY pid
        HAVING count(*) FILTER (WHERE name = 'Purchase' AND time > TIMESTAMP '{Ts(TimeSpan.FromDays(30))}') >= 2
           AND count(*) FILTER (WHERE name = 'App Open' AND time > TIMESTAMP '{Ts(TimeSpan.FromDays(7))}') >= 1
           AND count(*) FILTER (WHERE name = 'Add to Cart' AND json_extract_string(properties, '$.category') = 'shoes') >= 1)
    """;

using (var connection = store.OpenConnection())
using (var command = connection.CreateCommand())
{
    command.CommandText = $"SELECT count(*) FILTER (WHERE NOT internal), (SELECT count(*) FROM person_overrides) FROM events WHERE app_id = '{App}'";
    using var reader = command.ExecuteReader();
    reader.Read();
    Console.WriteLine($"# Segment batch benchmark {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores: {reader.GetInt64(0):N0} user events, {reader.GetInt64(1):N0} merged persons, {profiles.Count:N0} persons");
}

var mirrorWatch = Stopwatch.StartNew();
long count = await batchEvaluator.CountAsync(App, criteria, null, now, CancellationToken.None);
Console.WriteLine($"First count (builds the profile mirror): {count:N0} persons in {mirrorWatch.Elapsed.TotalMilliseconds:F0} ms");

var api = new List<double>();
var floor = new List<double>();
long floorCount = 0;
using (var connection = store.OpenConnection())
{
    for (int run = 0; run <= runs; run++)
    {
        var watch = Stopwatch.StartNew();
        count = await batchEvaluator.CountAsync(App, criteria, null, now, CancellationToken.None);
        if (run > 0) api.Add(watch.Elapsed.TotalMilliseconds);
        watch.Restart();
        using var threads = store.UseQueryThreads(); // the threads the API's query gets
        using var command = connection.CreateCommand();
        command.CommandText = floorSql;
        floorCount = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (run > 0) floor.Add(watch.Elapsed.TotalMilliseconds);
    }
}

api.Sort();
floor.Sort();
double median = api[api.Count / 2], floorMedian = floor[floor.Count / 2];
Console.WriteLine();
Console.WriteLine("| query | segments engine (median) | min | hand-written floor (median) | engine / floor | persons | goal |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| 3-condition behavioral segment, count | {median:F0} ms | {api[0]:F0} ms | {floorMedian:F0} ms | {median / floorMedian:F2}× | {count:N0}{(count == floorCount ? "" : $" (floor: {floorCount:N0})")} | ≤ 1,000 ms: {(median <= 1000 ? "met" : "missed")} |"));
return count == floorCount ? 0 : 1;

/// <summary>One bare profile per canonical person with events (the batch evaluator's universe of persons).</summary>
internal sealed class BenchProfiles : IProfileReader
{
    private readonly List<string> _persons = [];

    public BenchProfiles(DuckDbEventStore store, string app)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT DISTINCT coalesce(o.person_id, e.person_id) FROM events e
            LEFT JOIN person_overrides o ON o.app_id = e.app_id AND o.old_person_id = e.person_id WHERE e.app_id = '{app}'
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read()) _persons.Add(reader.GetString(0));
    }

    public int Count => _persons.Count;

    public long Version => 1;

    public IEnumerable<Profile> ReadAll(string appId) => _persons.Select(p => new Profile { AppId = appId, PersonId = p, UserId = p });
}

/// <summary>The benchmark has no person attributes.</summary>
internal sealed class NoAttributes : IProfileAttributeReader
{
    public long Version => 0;

    public IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names) => [];

    public IEnumerable<JsonObject> Sample(string appId, int limit) => [];
}

/// <summary>No event definitions: every event weighs 1.</summary>
internal sealed class NoDefinitions : IEventDefinitionStore
{
    public IReadOnlyList<EventDefinition> List(string appId) => [];

    public EventDefinition? Find(string appId, string name) => null;

    public void Save(EventDefinition definition)
    {
    }
}
