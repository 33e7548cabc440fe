using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Analytics;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Experiments;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// Experiment analysis benchmark: one A/B test with N exposed persons (default 1,000,000) and their purchases,
// appended straight into a fresh DuckDB event store beside 8.5M other events of the app (about the demo data's 10M); then the results of three metrics (conversion within 7 days,
// revenue per person, CUPED revenue with a 14-day pre-window), median of warm runs. Goal: ≤ 2 s per analysis.
int persons = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
// Other events of the same app, so the analysis scans a table the size of the 10M-event demo data.
int noise = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8_500_000;
string dir = Directory.CreateTempSubdirectory("lodestar-exp-bench-").FullName;
try
{
    using var store = new DuckDbEventStore(Path.Combine(dir, "events.duckdb"));
    var random = new Random(7);
    var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    var batch = new List<StoredEvent>(200_000);
    long sequence = 0, events = 0;
    var fill = Stopwatch.StartNew();
    void Add(string person, string name, DateTimeOffset time, double? value, string? properties)
    {
        batch.Add(new StoredEvent
        {
            Sequence = ++sequence, AppId = "app_bench", PersonId = person, ReceivedAt = time,
            Event = new IncomingEvent { Type = EventTypes.Track, Name = name, UserId = person, Timestamp = time, Value = value, PropertiesJson = properties },
        });
        if (batch.Count == batch.Capacity)
        {
            store.Append(batch);
            events += batch.Count;
            batch.Clear();
        }
    }

    for (int i = 0; i < persons; i++)
    {
        string person = "p" + i.ToString("D7", CultureInfo.InvariantCulture);
        bool treatment = random.NextDouble() < 0.5;
        var exposed = start.AddSeconds(random.Next(0, 30 * 86400));
        // Pre-exposure purchases (the CUPED covariate) and post-exposure ones (the metric), treatment converts a bit more.
        if (random.NextDouble() < 0.2) Add(person, "Purchase", exposed.AddDays(-random.Next(1, 14)), Math.Round(random.NextDouble() * 50, 2), null);
        Add(person, "$experiment_exposure", exposed, null,
            treatment ? """{"testId":"t1","variantId":"b","variantName":"Treatment"}""" : """{"testId":"t1","variantId":"a","variantName":"Control"}""");
        int purchases = random.NextDouble() < (treatment ? 0.12 : 0.10) ? 1 + random.Next(3) : 0;
        for (int k = 0; k < purchases; k++) Add(person, "Purchase", exposed.AddHours(random.Next(1, 24 * 10)), Math.Round(random.NextDouble() * 60, 2), null);
    }

    string[] names = ["App Open", "View Product", "Add to Cart", "Search", "Screen View"];
    for (int i = 0; i < noise; i++)
    {
        Add("p" + random.Next(persons).ToString("D7", CultureInfo.InvariantCulture), names[i % names.Length],
            start.AddDays(-14).AddSeconds(random.Next(0, 58 * 86400)), null, """{"screen":"home"}""");
    }

    store.Append(batch);
    events += batch.Count;
    Console.WriteLine($"# Experiment analysis benchmark {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores: {persons:N0} exposed persons, {events:N0} events (filled in {fill.Elapsed.TotalSeconds:F0} s)");

    var options = Options.Create(new AnalyticsOptions { QueryTimeout = TimeSpan.FromMinutes(5) });
    var runner = new DuckDbQueryRunner(store, new NoAttributes(), new NoDefinitions(), NullLogger<DuckDbQueryRunner>.Instance);
    var engine = new ExperimentResultsEngine(runner, options);
    var metrics = new Dictionary<string, Dictionary<string, string>>
    {
        ["conversion, 7-day window"] = new() { ["metric"] = "conversion", ["event"] = "Purchase", ["window"] = "7d" },
        ["revenue per person"] = new() { ["metric"] = "sum", ["event"] = "Purchase" },
        ["revenue per person, CUPED 14d"] = new() { ["metric"] = "sum", ["event"] = "Purchase", ["cuped"] = "true", ["preWindow"] = "14d" },
    };

    Console.WriteLine();
    Console.WriteLine("| metric | median ms | min ms | users (control / treatment) | goal |");
    Console.WriteLine("|---|---:|---:|---|---|");
    foreach (var (label, parameters) in metrics)
    {
        var query = ExperimentMetricQuery.Parse("t1", name => parameters.GetValueOrDefault(name));
        var times = new List<double>();
        ExperimentResults? result = null;
        for (int run = 0; run <= runs; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            result = await engine.AnalyzeAsync("app_bench", query, CancellationToken.None);
            stopwatch.Stop();
            if (run > 0) times.Add(stopwatch.Elapsed.TotalMilliseconds); // the first run is the warm-up
        }

        times.Sort();
        double median = times[times.Count / 2];
        string users = string.Join(" / ", result!.Arms.Select(a => (a.Row.Users ?? 0).ToString("N0", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {median:F0} | {times[0]:F0} | {users} | ≤ 2,000 ms: {(median <= 2000 ? "met" : "missed")} |"));
    }
}
finally
{
    Directory.Delete(dir, true);
}

/// <summary>The benchmark has no person attributes.</summary>
internal sealed class NoAttributes : IProfileAttributeReader
{
    public long Version => 0;

    public IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names) => [];

    public IEnumerable<JsonObject> Sample(string appId, int limit) => [];
}

/// <summary>No event definitions: every event weighs 1.</summary>
internal sealed class NoDefinitions : Lodestar.Core.Events.IEventDefinitionStore
{
    public IReadOnlyList<Lodestar.Core.Events.EventDefinition> List(string appId) => [];

    public Lodestar.Core.Events.EventDefinition? Find(string appId, string name) => null;

    public void Save(Lodestar.Core.Events.EventDefinition definition)
    {
    }
}
