using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Events;
using Lodestar.Core.Messages;
using Lodestar.Storage.DuckDb;
using Lodestar.Storage.Sqlite;

// In-app message costs on the start path and for the stats endpoint. A fresh DuckDB event store holds N persons'
// message impressions and actions (default 1,000,000 persons, 4 messages) beside other events of the app (default
// 8,500,000, about the demo data's 10M). Measured: folding the impressions into the SQLite counts (once over the
// whole table, as after an upgrade; then the incremental fold a start does after a few new events), the per-user
// count a start reads when a message has a per-user limit (median and p99 over random persons), one message's stats,
// and rendering a templated message. Goals: start-path look-up ≤ 5 ms p99; stats ≤ 1 s; render ≤ 20 µs.
int persons = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
int noise = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8_500_000;
int lookups = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
string dir = Directory.CreateTempSubdirectory("lodestar-msg-bench-").FullName;
try
{
    using var store = new DuckDbEventStore(Path.Combine(dir, "events.duckdb"));
    var random = new Random(11);
    var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    var batch = new List<StoredEvent>(200_000);
    long sequence = 0, events = 0;
    var fill = Stopwatch.StartNew();
    void Add(string person, string name, string? properties)
    {
        var time = start.AddSeconds(random.Next(0, 90 * 86400));
        batch.Add(new StoredEvent
        {
            Sequence = ++sequence, AppId = "app_bench", PersonId = person, ReceivedAt = time,
            Event = new IncomingEvent { Type = EventTypes.Track, Name = name, UserId = person, Timestamp = time, PropertiesJson = properties },
        });
        if (batch.Count == batch.Capacity) Flush();
    }

    void Flush()
    {
        store.Append(batch);
        events += batch.Count;
        batch.Clear();
    }

    string Person(int i) => "p" + i.ToString("D7", CultureInfo.InvariantCulture);
    string[] messageIds = ["101", "102", "103", "104"];
    for (int i = 0; i < persons; i++)
    {
        string id = messageIds[random.Next(messageIds.Length)];
        int views = random.Next(0, 3);
        for (int v = 0; v < views; v++) Add(Person(i), "$message:View", $$"""{"$messageId":"{{id}}"}""");
        if (views > 0 && random.NextDouble() < 0.3) Add(Person(i), "$message:Accept", $$"""{"$messageId":"{{id}}"}""");
    }

    string[] names = ["App Open", "View Product", "Add to Cart", "Search", "Screen View"];
    for (int i = 0; i < noise; i++) Add(Person(random.Next(persons)), names[i % names.Length], null);
    Flush();
    Console.WriteLine($"filled {events:N0} events in {fill.Elapsed.TotalSeconds:F1} s");

    var reader = new DuckDbMessageEventReader(store);
    var counts = new SqliteMessageImpressionStore(new SqliteDatabase(Path.Combine(dir, "state.sqlite")));
    void Fold()
    {
        long cursor = counts.Cursor;
        while (true)
        {
            var (changes, upTo) = reader.ImpressionChangesAfter(cursor, sequence, 50_000);
            if (upTo <= cursor) break;
            counts.Apply(changes, upTo);
            cursor = upTo;
        }
    }

    var initial = Stopwatch.StartNew();
    Fold();
    Console.WriteLine($"initial fold of {events:N0} events: {initial.Elapsed.TotalSeconds:F1} s");

    var times = new List<double>(lookups);
    for (int i = 0; i < lookups + 5; i++)
    {
        // A start's own events (and some impressions) land first, as in live traffic.
        for (int k = 0; k < 20; k++) Add(Person(random.Next(persons)), k % 4 == 0 ? "$message:View" : "App Open", k % 4 == 0 ? """{"$messageId":"101"}""" : null);
        Flush();
        var watch = Stopwatch.StartNew();
        Fold();
        var seen = counts.ImpressionsOf("app_bench", Person(random.Next(persons)), messageIds);
        watch.Stop();
        GC.KeepAlive(seen);
        if (i >= 5) times.Add(watch.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    Console.WriteLine($"start-path look-up (incremental fold + one person's counts): median {times[times.Count / 2]:F2} ms, p99 {times[(int)(times.Count * 0.99)]:F2} ms ({lookups} look-ups)");

    var stats = new List<double>();
    for (int i = 0; i < 4; i++)
    {
        var watch = Stopwatch.StartNew();
        var rows = reader.Counts("app_bench", ["101", "102"]);
        watch.Stop();
        if (i > 0) stats.Add(watch.Elapsed.TotalMilliseconds);
        if (i == 0) Console.WriteLine("stats rows: " + string.Join("; ", rows.Select(c => $"{c.SdkMessageId} {c.Event} {c.Events}/{c.Persons}")));
    }

    stats.Sort();
    Console.WriteLine($"stats of a 2-variant message: median {stats[stats.Count / 2]:F1} ms");

    var template = MessageTemplate.Parse(JsonNode.Parse("""
        {"__name__":"Confirm","Title":"Hi {{ userAttribute.name | default: \"there\" }}","Message":"You are on {{ userAttribute.plan }}",
         "Accept text":"Yes","Cancel text":"No","Accept action":{"__name__":"Open URL","URL":"https://example.test/{{ userAttribute.plan }}"}}
        """)!.AsObject());
    var attributes = JsonNode.Parse("""{"name":"Ada","plan":"pro","age":30,"email":"ada@example.test"}""")!.AsObject();
    const int renders = 200_000;
    for (int i = 0; i < 10_000; i++) template.Render(attributes);
    var render = Stopwatch.StartNew();
    for (int i = 0; i < renders; i++) template.Render(attributes);
    render.Stop();
    Console.WriteLine($"render a templated Confirm: {render.Elapsed.TotalMilliseconds * 1000 / renders:F2} µs");
}
finally
{
    Directory.Delete(dir, recursive: true);
}
