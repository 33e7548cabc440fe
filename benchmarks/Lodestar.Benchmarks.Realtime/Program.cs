using System.Diagnostics;
using System.Globalization;
using Lodestar.Benchmarks.Realtime;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Segments;
using Lodestar.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

// Real-time segment evaluation: the same event stream through the real host (ingestion pipeline → profile
// projector → segment router → one Orleans grain per person) with 0 segments (the baseline) and with 100.
// Usage: dotnet run -c Release --project benchmarks/Lodestar.Benchmarks.Realtime -- [persons] [events] [segments] [mix]
// mix "synthetic" (default): 8 shapes over 20 equally frequent names; membership changes about once per event (a worst
// case). mix "templates": the issue's four templates and plain counts over names of Zipf-like frequency (a few common
// events such as app opens, many rare ones such as purchases), as an app's saved segments would look.
int persons = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
int events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
int segmentCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
string[] names = [.. Enumerable.Range(0, 20).Select(i => $"Event {i}")];
string mix = args.Length > 3 ? args[3] : "synthetic";
// Live events sent before the measured stream and not measured: a server runs for days, so the steady state is what the
// goal is about, not the start-up (the JIT compiling and tiering the live path took a fifth of the CPU samples of a
// 100,000-event stream).
int warmLive = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 0;
if (mix is not ("synthetic" or "templates")) throw new ArgumentException($"Unknown mix '{mix}': synthetic or templates.");
bool templates = mix == "templates";
// Name k is drawn with weight 1/(k+1) in the templates mix, uniformly in the synthetic one.
double[] cumulative = [.. names.Select((_, k) => templates ? 1.0 / (k + 1) : 1.0)];
for (int k = 1; k < cumulative.Length; k++) cumulative[k] += cumulative[k - 1];

Console.WriteLine($"{persons:N0} persons, {events:N0} events over {names.Length} event names, mix {mix}, {Environment.ProcessorCount} cores");
var baseline = await RunAsync(0);
var measured = await RunAsync(segmentCount);
Console.WriteLine();
Console.WriteLine("| segments | events/s processed | ingestion acked events/s | lag after last ack s | warm-up (5 past events per person) s | managed heap per person KB | members at end | process CPU µs per live event | managed KB allocated per live event |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in new[] { baseline, measured })
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Segments} | {r.ProcessedRate:N0} | {r.AckRate:N0} | {r.Lag:N2} | {r.WarmUp:N1} | {r.HeapPerPersonKb:N2} | {r.Members:N0} | {r.CpuPerEventUs:N1} | {r.AllocatedPerEventKb:N1} |"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Engine memory per tracked person (100 segments minus baseline): {measured.HeapPerPersonKb - baseline.HeapPerPersonKb:N2} KB"));

async Task<Result> RunAsync(int segmentsDefined)
{
    string dataDir = Directory.CreateTempSubdirectory("lodestar-bench-realtime-").FullName;
    var segments = new BenchSegmentStore();
    var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:0", "--Lodestar:DataDir", dataDir, "--Lodestar:AdminToken", "bench", "--Logging:LogLevel:Default", "Warning"]);
    builder.AddLodestar();
    builder.Services.AddSingleton<ISegmentStore>(segments);
    await using var host = builder.Build();
    host.MapLodestar();
    await host.StartAsync();
    var services = host.Services;
    var app = services.GetRequiredService<IAppStore>().Create("bench");
    var pipeline = services.GetRequiredService<IngestionPipeline>();
    var router = services.GetRequiredService<SegmentRouter>();
    var memberships = services.GetRequiredService<ISegmentMembershipStore>();
    for (int i = 0; i < segmentsDefined; i++) segments.Define(app.Id, $"s{i}", templates ? TemplateCriteria(i, names) : Criteria(i, names));
    var random = new Random(7);
    var now = DateTimeOffset.UtcNow;

    long heapBefore = Heap();
    var watch = Stopwatch.StartNew();
    // Warm-up: every person's history (5 events over the last 20 days) and the activation of their grain.
    await SendAsync(Enumerable.Range(0, persons * 5).Select(i => Event(i % persons, Name(random), now - TimeSpan.FromSeconds(random.Next(0, 20 * 86_400)), random)).ToList());
    await Drain();
    double warmUp = watch.Elapsed.TotalSeconds;
    long heapAfter = Heap();

    if (warmLive > 0)
    {
        now = DateTimeOffset.UtcNow;
        await SendAsync(LiveStream(warmLive));
        await Drain();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{segmentsDefined} segments: {warmLive:N0} live events sent first, not measured"));
    }

    // A live stream: events in time order, the last one just now.
    now = DateTimeOffset.UtcNow;
    var stream = LiveStream(events);
    // CPU time of the whole process (every thread) over the live stream: on a shared machine it moves far less with
    // the load than the wall-clock rate does.
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    watch.Restart();
    await SendAsync(stream);
    double acked = watch.Elapsed.TotalSeconds;
    await Drain();
    double processed = watch.Elapsed.TotalSeconds;
    double cpuPerEventUs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / events;
    double allocatedPerEventKb = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / events;
    long members = Enumerable.Range(0, segmentsDefined).Sum(i => (long)memberships.Members(app.Id, $"s{i}").Count);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{segmentsDefined} segments: acked in {acked:N1} s, processed in {processed:N1} s; {members:N0} memberships"));
    await host.StopAsync();
    try
    {
        Directory.Delete(dataDir, recursive: true);
    }
    catch (IOException)
    {
        // Left for the OS to clean.
    }

    return new Result(segmentsDefined, events / processed, events / acked, processed - acked, warmUp, (heapAfter - heapBefore) / 1024.0 / persons, members, cpuPerEventUs, allocatedPerEventKb);

    List<IncomingEvent> LiveStream(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Event(random.Next(persons), Name(random), now - TimeSpan.FromMilliseconds((count - i) / 50.0), random))];

    string Name(Random random)
    {
        double x = random.NextDouble() * cumulative[^1];
        int k = Array.FindIndex(cumulative, c => x < c);
        return names[k < 0 ? names.Length - 1 : k];
    }

    async Task SendAsync(List<IncomingEvent> list)
    {
        const int Chunk = 2_000;
        var chunks = list.Chunk(Chunk).ToList();
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < chunks.Count) await pipeline.IngestAsync(app.Id, chunks[i], CancellationToken.None);
        }));
    }

    async Task Drain()
    {
        for (int settled = 0; settled < 3;)
        {
            await router.WaitForAsync(pipeline.CommittedSequence, TimeSpan.FromMinutes(10), CancellationToken.None);
            await Task.Delay(20);
            settled = router.ProcessedSequence >= pipeline.CommittedSequence ? settled + 1 : 0;
        }
    }
}

static IncomingEvent Event(int person, string name, DateTimeOffset at, Random random) => new()
{
    Type = EventTypes.Track,
    Name = name,
    UserId = $"user-{person}",
    Timestamp = at,
    Value = random.Next(0, 50),
    PropertiesJson = $"{{\"amount\":{random.Next(0, 100)},\"plan\":\"{(person % 3 == 0 ? "pro" : "free")}\"}}",
};

static long Heap()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    return GC.GetTotalMemory(forceFullCollection: true);
}

// The shapes of the issue, over the 20 event names: counts in a window, did-not, sums, first/last occurrence,
// clicked-but-not-bought sequences, ever counts, and AND/OR/NOT of them.
static string Criteria(int i, string[] names)
{
    string a = names[i % names.Length], b = names[(i * 7 + 3) % names.Length];
    int n = 1 + (i % 4), days = 1 + (i % 30);
    return (i % 8) switch
    {
        0 => $$$"""{"event": "{{{a}}}", "count": {"op": "gte", "value": {{{n}}}}, "within": "{{{days}}}d"}""",
        1 => $$$"""{"event": "{{{a}}}", "count": {"op": "eq", "value": 0}, "within": "{{{days}}}d"}""",
        2 => $$$"""{"event": "{{{a}}}", "aggregate": {"fn": "sum", "property": "amount", "op": "gt", "value": {{{50 * n}}}}, "within": "{{{days}}}d"}""",
        3 => $$$"""{"event": "{{{a}}}", "filters": [{"property": "amount", "op": "gt", "value": 50}], "count": {"op": "gte", "value": {{{n}}}}, "within": "{{{days}}}d"}""",
        4 => $$$"""{"event": "{{{a}}}", "occurrence": "last", "op": "within", "value": "{{{days}}}d"}""",
        5 => $$$"""{"sequence": {"did": {"event": "{{{a}}}"}, "thenNot": {"event": "{{{b}}}"}, "within": "1d"}}""",
        6 => $$$"""{"all": [{"event": "{{{a}}}", "count": {"op": "gte", "value": {{{n}}}}}, {"not": {"event": "{{{b}}}", "count": {"op": "gte", "value": 1}, "within": "7d"}}]}""",
        _ => $$$"""{"any": [{"event": "{{{a}}}", "count": {"op": "gte", "value": {{{n + 2}}}}, "within": "{{{days}}}d"}, {"event": "{{{b}}}", "count": {"op": "gte", "value": 3}}]}""",
    };
}

// The issue's templates (clicked-but-not-bought, vanished after onboarding, lurkers, loyalists; as SegmentTemplates
// builds them) over pairs of names, each a common event and a rarer one, with varied windows and counts; a fifth of
// the segments are plain counts ("did E at least N times in D days").
static string TemplateCriteria(int i, string[] names)
{
    string common = names[i % 4], rare = names[4 + ((i * 7) % 16)];
    int n = 2 + (i % 3), days = new[] { 7, 14, 30 }[i % 3];
    return (i % 5) switch
    {
        0 => $$$"""{"sequence": {"did": {"event": "{{{common}}}"}, "thenNot": {"event": "{{{rare}}}"}, "within": "1d"}}""",
        1 => $$$"""{"all": [{"event": "{{{rare}}}"}, {"event": "{{{common}}}", "count": {"op": "eq", "value": 0}, "within": "{{{days}}}d"}]}""",
        2 => $$$"""{"all": [{"event": "{{{common}}}", "count": {"op": "gte", "value": {{{n}}}}, "within": "{{{days}}}d"}, {"event": "{{{rare}}}", "count": {"op": "eq", "value": 0}, "within": "{{{days}}}d"}]}""",
        3 => $$$"""{"all": [{"event": "{{{rare}}}", "count": {"op": "gte", "value": {{{n}}}}, "within": "30d"}, {"event": "{{{common}}}", "within": "7d"}]}""",
        _ => $$$"""{"event": "{{{rare}}}", "count": {"op": "gte", "value": {{{n}}}}, "within": "{{{days}}}d"}""",
    };
}

internal sealed record Result(int Segments, double ProcessedRate, double AckRate, double Lag, double WarmUp, double HeapPerPersonKb, long Members, double CpuPerEventUs, double AllocatedPerEventKb);
