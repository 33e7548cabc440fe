using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lodestar.Analytics.Demo;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Hosting;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.DependencyInjection;

// End-to-end analytics benchmark: demo data through the ingestion pipeline, then each insight through the HTTP API
// (warm, median of N runs) against a hand-written DuckDB query for the same answer on the same file (the floor).
// Usage: dotnet run -c Release --project benchmarks/Lodestar.Benchmarks.Analytics -- [users] [days] [runs] [dataDir] [duckdbMemoryLimit]
int users = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
int days = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 90;
int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
string dataDir = args.Length > 3 ? args[3] : Path.Combine(Path.GetTempPath(), $"lodestar-bench-analytics-{users}-{days}");
string? memoryLimit = args.Length > 4 ? args[4] : null;
// LODESTAR_BENCH_URL moves the host off the default port (two benchmarks on one shared machine).
string Url = Environment.GetEnvironmentVariable("LODESTAR_BENCH_URL") ?? "http://127.0.0.1:5077";
const string Token = "bench-token";

// The query time limit is raised (a shared machine). Automatic materialization is off so that no column is added (and filled) while the queries are timed; the category
// property is materialized through the API below instead, before any timing.
string[] hostArgs = ["--urls", Url, "--Lodestar:DataDir", dataDir, "--Lodestar:AdminToken", Token, "--Logging:LogLevel:Default", "Warning",
    "--Analytics:AutoMaterializeAfter", "0", "--Analytics:QueryTimeout", "00:05:00"];
var app = LodestarHost.Build(memoryLimit is null ? hostArgs : [.. hostArgs, "--Lodestar:DuckDbMemoryLimit", memoryLimit]);
await app.StartAsync();
var services = app.Services;
var apps = services.GetRequiredService<IAppStore>();
var generator = new DemoDataGenerator(users, days, seed: 1);
var demo = apps.List().FirstOrDefault(a => a.Name == "bench");
if (demo is null)
{
    demo = apps.Create("bench");
    var pipeline = services.GetRequiredService<IngestionPipeline>();
    var watch = Stopwatch.StartNew();
    long count = 0;
    var chunk = new List<IncomingEvent>(10_000);
    foreach (var day in generator.Days())
    {
        foreach (var e in day)
        {
            chunk.Add(DemoDataGenerator.ToIncoming(e));
            if (chunk.Count == chunk.Capacity)
            {
                await pipeline.IngestAsync(demo.Id, [.. chunk], CancellationToken.None);
                count += chunk.Count;
                chunk.Clear();
            }
        }
    }

    await pipeline.IngestAsync(demo.Id, [.. chunk], CancellationToken.None);
    count += chunk.Count;
    Console.WriteLine($"Ingested {count:N0} messages in {watch.Elapsed.TotalSeconds:N1} s; waiting for profiles…");
    await services.GetRequiredService<ProfileProjector>().WaitForAsync(pipeline.CommittedSequence, TimeSpan.FromHours(1), CancellationToken.None);
    Console.WriteLine($"Profiles ready after {watch.Elapsed.TotalSeconds:N1} s");
    // Acknowledged events reach DuckDB in batches behind the log: measure only once every one is there.
    await services.GetRequiredService<EventStoreApplier>().WaitForAsync(pipeline.CommittedSequence, TimeSpan.FromHours(1), CancellationToken.None);
    Console.WriteLine($"Event store caught up after {watch.Elapsed.TotalSeconds:N1} s");
}

var store = services.GetRequiredService<DuckDbEventStore>();
using (var connection = store.OpenConnection())
using (var command = connection.CreateCommand())
{
    command.CommandText = $"SELECT count(*) FILTER (WHERE NOT internal), count(DISTINCT person_id), (SELECT count(*) FROM person_overrides) FROM events WHERE app_id = '{demo.Id}'";
    using var reader = command.ExecuteReader();
    reader.Read();
    Console.WriteLine($"Events: {reader.GetInt64(0):N0} user events, {reader.GetInt64(1):N0} person ids, {reader.GetInt64(2):N0} merged persons");
}

using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

// Materialize the JSON property "category" through the product's own API and wait until the background fill has
// reached the newest event (on a second start the column is there already and this returns at once).
string categoryColumn;
{
    var watch = Stopwatch.StartNew();
    using (var created = await http.PostAsync($"/api/v1/apps/{demo.Id}/properties/materialized",
               new StringContent("""{"property": "category"}""", Encoding.UTF8, "application/json")))
    {
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"materialize: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        Console.WriteLine($"POST …/properties/materialized {{\"property\": \"category\"}}: {(int)created.StatusCode} after {watch.Elapsed.TotalSeconds:N1} s");
    }

    while (true)
    {
        using var state = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/apps/{demo.Id}/properties/materialized/category"));
        if (state.RootElement.GetProperty("filled").GetBoolean())
        {
            categoryColumn = state.RootElement.GetProperty("column").GetString()!;
            Console.WriteLine($"Materialized property category (column {categoryColumn}) filled up to event {state.RootElement.GetProperty("filledToSequence").GetInt64():N0} " +
                              $"after {watch.Elapsed.TotalSeconds:N1} s (created {state.RootElement.GetProperty("createdAt").GetDateTimeOffset():O})");
            break;
        }

        await Task.Delay(250);
    }

    // Measured after a checkpoint: DuckDB picks a column's compression when it writes it out.
    using var connection = store.OpenConnection();
    using var checkpoint = connection.CreateCommand();
    checkpoint.CommandText = "CHECKPOINT";
    checkpoint.ExecuteNonQuery();
}

string from = generator.Start.ToString("O", CultureInfo.InvariantCulture);
string to = generator.End.AddTicks(-10).ToString("O", CultureInfo.InvariantCulture);
string retentionFrom = generator.Start.AddDays(-(int)generator.Start.DayOfWeek + 1 + 7).ToString("O", CultureInfo.InvariantCulture); // a Monday
string a = $"'{demo.Id}'";
// Persons by the integer key the store writes on every event, merged-away keys resolved through the key overrides.
const string Persons = "FROM events e LEFT JOIN person_key_overrides o ON o.old_key = e.person_key";
const string Pid = "coalesce(o.person_key, e.person_key)";
string rangeStart = $"TIMESTAMP '{generator.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}'", rangeEnd = $"TIMESTAMP '{generator.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}'";
// The stored keys of the resolved persons of a CTE (pid, ...): the survivors' own keys unless merged away, and the
// keys merged into them. Funnel and paths floors join events by stored key to these, as the engine does.
// The demo app's event names, numbered from 1 in this order in the paths floor's packed keys (63: a name not listed).
const string names = "['View Product', 'App Open', 'View Home', 'Search', 'Add to Cart', 'Share', 'Signup Started', 'Signup Completed', 'Checkout Started', 'Purchase', 'Tutorial Completed']";
static string KeysOf(string cte) =>
    $"SELECT s.pid AS sk, s.* FROM {cte} s WHERE s.pid NOT IN (SELECT old_key FROM person_key_overrides) " +
    $"UNION ALL SELECT o.old_key, s.* FROM {cte} s JOIN person_key_overrides o ON o.person_key = s.pid";

var cases = new (string Name, string Path, string Body, string FloorSql, Func<JsonElement, string> Answer, double Goal)[]
{
    ("funnel: 3 steps, 7d window", "funnels",
        $$"""{"steps": [{"event": "View Product"}, {"event": "Add to Cart"}, {"event": "Purchase"}], "window": "7d", "from": "{{from}}", "to": "{{to}}"}""",
        $"""
        WITH f0 AS (SELECT e.person_key AS sk, min(e.time) AS t FROM events e
                    WHERE e.app_id = {a} AND NOT e.internal AND e.name = 'View Product' AND e.time >= {rangeStart} AND e.time < {rangeEnd} GROUP BY e.person_key),
             s0 AS (SELECT coalesce(o.person_key, f0.sk) AS pid, min(f0.t) AS t0 FROM f0 LEFT JOIN person_key_overrides o ON o.old_key = f0.sk GROUP BY 1),
             k0 AS ({KeysOf("s0")}),
             s1 AS (SELECT s.pid, s.t0, min(e.time) AS t1 FROM k0 s JOIN events e ON e.person_key = s.sk AND e.time >= s.t0 AND e.time <= s.t0 + INTERVAL 7 DAY
                    WHERE e.app_id = {a} AND NOT e.internal AND e.name = 'Add to Cart' AND e.time >= {rangeStart} GROUP BY s.pid, s.t0),
             k1 AS ({KeysOf("s1")}),
             s2 AS (SELECT s.pid FROM k1 s JOIN events e ON e.person_key = s.sk AND e.time >= s.t1 AND e.time <= s.t0 + INTERVAL 7 DAY
                    WHERE e.app_id = {a} AND NOT e.internal AND e.name = 'Purchase' AND e.time >= {rangeStart} GROUP BY s.pid)
        SELECT (SELECT count(*) FROM s0) || ',' || (SELECT count(*) FROM s1) || ',' || (SELECT count(*) FROM s2)
        """,
        json => string.Join(",", json.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("persons").GetInt64())), 0.5),
    ("retention: 12 weeks", "retention",
        $$"""{"startEvent": "$firstSeen", "returnEvent": "$any", "interval": "week", "periods": 12, "from": "{{retentionFrom}}", "to": "{{to}}"}""",
        $"""
        WITH pw0 AS (SELECT e.person_key AS sk, date_trunc('week', e.time) AS w, min(e.time) AS t FROM events e
                     WHERE e.app_id = {a} AND NOT e.internal AND e.time <= TIMESTAMP '{generator.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}' GROUP BY ALL),
             ev AS (SELECT coalesce(o.person_key, pw0.sk) AS pid, pw0.w, pw0.t FROM pw0 LEFT JOIN person_key_overrides o ON o.old_key = pw0.sk),
             c AS (SELECT pid, date_trunc('week', min(t)) AS c FROM ev GROUP BY pid HAVING min(t) >= TIMESTAMP '{DateTimeOffset.Parse(retentionFrom, CultureInfo.InvariantCulture).UtcDateTime:yyyy-MM-dd HH:mm:ss}'),
             r AS (SELECT DISTINCT ev.pid, c.c, date_diff('day', c.c, ev.w) // 7 AS k FROM ev JOIN c ON c.pid = ev.pid WHERE ev.w >= c.c + INTERVAL 7 DAY)
        SELECT string_agg(n::VARCHAR, ',' ORDER BY c, k) FROM (
            SELECT c, 0 AS k, count(*) AS n FROM c GROUP BY c
            UNION ALL SELECT c, k, count(*) FROM r WHERE k <= 12 GROUP BY c, k)
        """,
        json => string.Join(",", json.GetProperty("cohorts").EnumerateArray().SelectMany(c => c.GetProperty("retained").EnumerateArray().Select(v => v.GetInt64()).Select((v, k) => (v, k)))
            .Where(x => x.k == 0 || x.v > 0).Select(x => x.v)), 1.0),
    ("trend: daily revenue by currency", "trends",
        $$"""{"series": [{"event": "Purchase", "math": "sum", "property": "value"}], "interval": "day", "breakdown": {"property": "currency"}, "from": "{{from}}", "to": "{{to}}"}""",
        $"""
        SELECT string_agg(round(v, 2)::VARCHAR, ',' ORDER BY c, d) FROM (
            SELECT date_trunc('day', time) AS d, json_extract_string(properties, '$.currency') AS c, sum(value) AS v FROM events
            WHERE app_id = {a} AND NOT internal AND name = 'Purchase' AND time >= TIMESTAMP '{generator.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}' AND time < TIMESTAMP '{generator.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}'
            GROUP BY ALL)
        """,
        json => string.Join(",", json.GetProperty("series").EnumerateArray().OrderBy(s => s.GetProperty("breakdownValue").GetString(), StringComparer.Ordinal)
            .SelectMany(s => s.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()).Where(v => v != 0)
            .Select(v => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture)))), 0.3),
    // The property is materialized (above), so the best hand-written query reads its column: it groups by the stored
    // integer id and joins the value table after the grouping.
    ("trend: daily product views by category", "trends",
        $$"""{"series": [{"event": "View Product"}], "interval": "day", "breakdown": {"property": "category"}, "from": "{{from}}", "to": "{{to}}"}""",
        $"""
        SELECT string_agg(g.n::VARCHAR, ',' ORDER BY v.v, g.d) FROM (
            SELECT date_trunc('day', time) AS d, "{categoryColumn}" AS id, count(*) AS n FROM events
            WHERE app_id = {a} AND NOT internal AND name = 'View Product' AND time >= TIMESTAMP '{generator.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}' AND time < TIMESTAMP '{generator.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}'
            GROUP BY ALL) g
        LEFT JOIN "{DuckDbEventStore.ValuesTableOf(categoryColumn)}" v ON v.id = g.id
        """,
        json => string.Join(",", json.GetProperty("series").EnumerateArray().OrderBy(s => s.GetProperty("breakdownValue").GetString(), StringComparer.Ordinal)
            .SelectMany(s => s.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()).Where(v => v != 0)
            .Select(v => v.ToString(CultureInfo.InvariantCulture)))), 0.3),
    ("paths: after App Open, depth 4", "paths",
        $$"""{"startEvent": "App Open", "depth": 4, "maxNodesPerStep": 10, "from": "{{from}}", "to": "{{to}}"}""",
        $"""
        WITH x AS NOT MATERIALIZED (
                 SELECT e.person_key AS sk, ((epoch_us(e.time) - epoch_us({rangeStart})) << 6) | coalesce(list_position({names}, e.name), 63) AS k FROM events e
                 WHERE e.app_id = {a} AND NOT e.internal AND e.time >= {rangeStart} AND e.time < {rangeEnd} AND e.person_key IS NOT NULL),
             kk AS (SELECT sk, min(k, 5) AS l, min(k) FILTER (WHERE (k & 63) = 2) AS a FROM x GROUP BY sk),
             pk AS MATERIALIZED (SELECT kk.sk, coalesce(o.person_key, kk.sk) AS pid, kk.l, kk.a,
                                        o.old_key IS NOT NULL OR kk.sk IN (SELECT person_key FROM person_key_overrides) AS merged
                                 FROM kk LEFT JOIN person_key_overrides o ON o.old_key = kk.sk),
             per AS (SELECT pid, l AS u, a FROM pk WHERE NOT merged AND a IS NOT NULL
                     UNION ALL SELECT pid, list_sort(flatten(list(l)))[1:5], min(a) FROM pk WHERE merged GROUP BY pid HAVING min(a) IS NOT NULL),
             r AS MATERIALIZED (SELECT pid, (u[1] >> 6) = (a >> 6) AND (u[2] IS NULL OR u[1] >> 6 <> u[2] >> 6) AND (u[3] IS NULL OR u[2] >> 6 <> u[3] >> 6)
                                           AND (u[4] IS NULL OR u[3] >> 6 <> u[4] >> 6) AND (u[5] IS NULL OR u[4] >> 6 <> u[5] >> 6)
                                           AND list_position(list_transform(u[1:4], y -> y & 63), 63) IS NULL AS exact,
                                       (u[1] & 63) | (coalesce(u[2] & 63, 0) << 6) | (coalesce(u[3] & 63, 0) << 12) | (coalesce(u[4] & 63, 0) << 18) AS code FROM per),
             -- The persons the key lists cannot answer: the exact plan on their events only.
             e0 AS MATERIALIZED (SELECT e.person_key, e.time, e.seq, e.name FROM events e
                                 WHERE e.app_id = {a} AND NOT e.internal AND e.time >= {rangeStart} AND e.time < {rangeEnd}
                                   AND e.person_key IN (SELECT sk FROM pk WHERE pid IN (SELECT pid FROM r WHERE NOT exact))),
             f AS (SELECT e.person_key AS sk, min((epoch_us(e.time)::HUGEINT << 40) + e.seq) AS k FROM e0 e WHERE e.name = 'App Open' GROUP BY e.person_key),
             a0 AS (SELECT coalesce(o.person_key, f.sk) AS pid, min(f.k) AS k FROM f LEFT JOIN person_key_overrides o ON o.old_key = f.sk GROUP BY 1),
             a AS (SELECT pid, k, (k >> 40)::BIGINT AS t, (k & 1099511627775)::BIGINT AS q FROM a0),
             ak AS ({KeysOf("a")}),
             ev AS (SELECT a.pid, (epoch_us(e.time)::HUGEINT << 40) + e.seq AS k, e.name AS n FROM e0 e JOIN ak a ON a.sk = e.person_key AND (epoch_us(e.time)::HUGEINT << 40) + e.seq >= a.k),
             slow AS (SELECT pid, arg_min(n, k, 4) AS path FROM ev GROUP BY pid),
             p AS (SELECT code::VARCHAR AS path, count(*) AS n FROM r WHERE exact GROUP BY code
                   UNION ALL SELECT path::VARCHAR, count(*) FROM slow GROUP BY path)
        SELECT count(DISTINCT path) || ',' || sum(n) FROM p
        """,
        json => $"{json.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("step").GetInt32() == 0).Sum(n => n.GetProperty("persons").GetInt64())}", 1.0),
    // Person attributes live in SQLite: the API copies the needed ones into DuckDB per query; the floor reads them from the identify events.
    ("trend: daily purchasers by plan (person attribute)", "trends",
        $$"""{"series": [{"event": "Purchase", "math": "uniques"}], "interval": "day", "breakdown": {"attribute": "plan"}, "from": "{{from}}", "to": "{{to}}"}""",
        $"""
        WITH plans AS (SELECT DISTINCT {Pid} AS pid, json_extract_string(e.properties, '$.plan') AS plan {Persons}
                       WHERE e.app_id = {a} AND e.type = 'identify'),
             p AS (SELECT date_trunc('day', e.time) AS d, plans.plan AS c, count(DISTINCT {Pid}) AS n {Persons}
                   LEFT JOIN plans ON plans.pid = {Pid}
                   WHERE e.app_id = {a} AND NOT e.internal AND e.name = 'Purchase' AND e.time >= TIMESTAMP '{generator.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}' AND e.time < TIMESTAMP '{generator.End.UtcDateTime:yyyy-MM-dd HH:mm:ss}'
                   GROUP BY ALL)
        SELECT string_agg(n::VARCHAR, ',' ORDER BY c, d) FROM p
        """,
        json => string.Join(",", json.GetProperty("series").EnumerateArray().OrderBy(s => s.GetProperty("breakdownValue").GetString(), StringComparer.Ordinal)
            .SelectMany(s => s.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()).Where(v => v != 0)
            .Select(v => v.ToString(CultureInfo.InvariantCulture)))), 0.3),
};

var results = new List<string>();
double peakApi = 0;
foreach (var (name, path, body, floorSql, answer, goal) in cases)
{
    // API and floor alternate, so a change in the machine's load (it is shared) hits both alike. Run 0 warms up.
    string apiAnswer = "", floorAnswer = "";
    var apiTimes = new List<double>();
    var floorTimes = new List<double>();
    double peak = 0;
    for (int i = 0; i <= runs; i++)
    {
        ResetPeakMemory();
        var watch = Stopwatch.StartNew();
        using (var response = await http.PostAsync($"/api/v1/apps/{demo.Id}/insights/{path}", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            string text = await response.Content.ReadAsStringAsync();
            watch.Stop();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: {response.StatusCode} {text}");
            using var json = JsonDocument.Parse(text);
            apiAnswer = answer(json.RootElement);
        }

        peak = Math.Max(peak, PeakMemoryMb());
        if (i > 0) apiTimes.Add(watch.Elapsed.TotalSeconds);

        watch.Restart();
        // The floor runs on the threads an analytics query gets (DuckDB runs on one outside them).
        using (store.UseQueryThreads())
        using (var connection = store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = floorSql;
            floorAnswer = command.ExecuteScalar()?.ToString() ?? "";
        }

        watch.Stop();
        if (i > 0) floorTimes.Add(watch.Elapsed.TotalSeconds);
    }

    peakApi = Math.Max(peakApi, peak);
    double api = Median(apiTimes), floor = Median(floorTimes);
    // Paths: the floor's answer is "distinct paths,persons"; the API's is the persons at step 0.
    bool same = path == "paths" ? floorAnswer.EndsWith("," + apiAnswer, StringComparison.Ordinal) : SameNumbers(floorAnswer, apiAnswer);
    string line = $"| {name} | {api * 1000:N0} ms | {floor * 1000:N0} ms | {api / floor:N2}× | ≤ {goal * 1000:N0} ms: {(api <= goal ? "met" : "missed")} | {(same ? "same answer" : "DIFFERENT")} | {peak:N0} MB |";
    Console.WriteLine(line);
    if (!same) Console.WriteLine($"    api:   {Truncate(apiAnswer)}\n    floor: {Truncate(floorAnswer)}");
    results.Add(line);
}

Console.WriteLine($"Peak memory (process RSS high-water mark while the API answered): {peakApi:N0} MB; cores: {Environment.ProcessorCount}; {DateTime.UtcNow:yyyy-MM-dd}");
await app.StopAsync();
return;

static double Median(List<double> values)
{
    values.Sort();
    return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
}

static string Truncate(string s) => s.Length > 300 ? s[..300] + "…" : s;

static bool SameNumbers(string a, string b)
{
    var x = a.Split(',');
    var y = b.Split(',');
    return x.Length == y.Length && x.Zip(y).All(p => p.First == p.Second ||
        (double.TryParse(p.First, CultureInfo.InvariantCulture, out double u) && double.TryParse(p.Second, CultureInfo.InvariantCulture, out double v) && Math.Abs(u - v) < 0.005));
}

// Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) so it covers the query phase only.
static void ResetPeakMemory()
{
    try
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
    }
    catch (IOException)
    {
    }
    catch (UnauthorizedAccessException)
    {
    }
}

static double PeakMemoryMb()
{
    foreach (string line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    return Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024;
}
