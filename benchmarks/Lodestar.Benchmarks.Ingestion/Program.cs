using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Lodestar.Benchmarks.Ingestion;

// End-to-end ingestion benchmark: concurrent clients post batches over loopback HTTP to the Release server for a
// fixed time; reports events/s, latency percentiles and the server's peak memory, beside the raw DuckDB
// appender's rate on the same events (the ceiling), measured in the same run.
var duration = new Option<int>("--duration") { Description = "Seconds of measured load.", DefaultValueFactory = _ => 60 };
var warmup = new Option<int>("--warmup") { Description = "Seconds of unmeasured warm-up.", DefaultValueFactory = _ => 5 };
var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 16 };
var batch = new Option<int>("--batch") { Description = "Events per request.", DefaultValueFactory = _ => 100 };
var users = new Option<int>("--users") { Description = "Distinct users the events spread over.", DefaultValueFactory = _ => 50_000 };
var paths = new Option<string>("--paths") { Description = "Comma-separated: segment, leanplum-js, leanplum-native.", DefaultValueFactory = _ => "segment,leanplum-js,leanplum-native" };
var serverDll = new Option<string?>("--server-dll") { Description = "Path of Lodestar.Server.dll (default: the Release build in src/)." };
var baselineDll = new Option<string?>("--baseline-dll") { Description = "Path of a second Lodestar.Server.dll (e.g. main's build) run before the candidate on each path, for an A/B in the same run." };
var serverEnv = new Option<string[]>("--server-env") { Description = "KEY=VALUE environment settings for the candidate server only (e.g. DOTNET_gcServer=0); repeatable.", AllowMultipleArgumentsPerToken = true };
var ceilingOption = new Option<bool>("--ceiling") { Description = "Also measure the raw DuckDB appender (the ceiling).", DefaultValueFactory = _ => true };
var dedupIds = new Option<int>("--dedup-ids") { Description = "Instead of the end-to-end run: the de-duplication window alone, remembering this many ids (memory and time per id, against the structure it replaced)." };
var root = new RootCommand("Lodestar end-to-end ingestion benchmark") { duration, warmup, clients, batch, users, paths, serverDll, baselineDll, serverEnv, ceilingOption, dedupIds };
root.SetAction(async (parse, _) =>
{
    if (parse.GetValue(dedupIds) is > 0 and var ids)
    {
        Console.WriteLine($"# De-duplication window {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores");
        Console.WriteLine("| structure | ids | retained MB | bytes per id | peak MB while growing | ns per check and add |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (string row in DeduplicationMemory.Rows(ids)) Console.WriteLine(row);
        return 0;
    }

    string dll = parse.GetValue(serverDll) ?? LocateServer();
    int size = parse.GetValue(batch), userCount = parse.GetValue(users), clientCount = parse.GetValue(clients);
    Console.WriteLine($"# Ingestion benchmark {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores, {clientCount} clients, batches of {size}, {userCount} users");

    var env = (parse.GetValue(serverEnv) ?? []).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    var servers = new List<(string Label, string Dll, Dictionary<string, string> Env)>();
    if (parse.GetValue(baselineDll) is { } baseline) servers.Add((" (baseline)", baseline, []));
    servers.Add((servers.Count > 0 ? " (candidate)" : "", dll, env));
    var rows = new List<string>();
    foreach (string path in parse.GetValue(paths)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    foreach (var (label, serverPath, serverEnvironment) in servers)
    {
        // A fresh server per path, so one path's data and memory do not weigh on the next.
        using var server = await ServerUnderTest.StartAsync(serverPath, 5400 + Random.Shared.Next(500), serverEnvironment);
        var app = await server.CreateAppAsync();
        string appId = app.GetProperty("id").GetString()!;
        string writeKey = app.GetProperty("keys").GetProperty("segmentWriteKey").GetString()!;
        string key = app.GetProperty("keys").GetProperty("production").GetString()!;
        var auth = path == "segment" ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":"))) : null;
        Func<int, long, (string, byte[], int)> next = path switch
        {
            "segment" => (c, s) => ("/v1/batch", LoadGenerator.SegmentBatch(c, s, size, userCount), size),
            "leanplum-js" => (c, s) =>
            {
                var (url, body) = LoadGenerator.LeanplumJsBatch(appId, key, c, s, size, userCount);
                return (url, body, size);
            },
            "leanplum-native" => (c, s) => ("/api", LoadGenerator.LeanplumNativeBatch(appId, key, c, s, size, userCount), size),
            _ => throw new ArgumentException($"Unknown path '{path}'."),
        };

        next = LoadGenerator.Templated(clientCount, 128, next);
        await new LoadGenerator(server.Url, clientCount, TimeSpan.FromSeconds(parse.GetValue(warmup)), (c, s) => next(c + clientCount, s), auth).RunAsync();
        var cpuBefore = server.CpuTime();
        var clientCpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var result = await new LoadGenerator(server.Url, clientCount, TimeSpan.FromSeconds(parse.GetValue(duration)), next, auth).RunAsync();
        double peak = server.PeakMemoryMb();
        double cpuMicrosPerEvent = (server.CpuTime() - cpuBefore).TotalMicroseconds / Math.Max(1, result.Events);
        // The load generator shares the cores: its own CPU per event says how much of the machine is left to the server.
        double clientMicrosPerEvent = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalMicroseconds / Math.Max(1, result.Events);
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {path} end to end{label} | {result.EventsPerSecond:N0} | {result.Percentile(0.50):F1} | {result.Percentile(0.99):F1} | {result.Failures} | {peak:N0} | {cpuMicrosPerEvent:F1} | {clientMicrosPerEvent:F1} |"));
        Console.WriteLine(rows[^1] + string.Create(CultureInfo.InvariantCulture, $" load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    }

    double ceiling = parse.GetValue(ceilingOption) ? AppenderCeiling.EventsPerSecond(1_000_000, userCount) : double.NaN;
    Console.WriteLine();
    Console.WriteLine("| path | events/s | p50 ms | p99 ms | failures | server peak RSS MB | server CPU µs/event | load generator CPU µs/event |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    rows.ForEach(Console.WriteLine);
    if (!double.IsNaN(ceiling)) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| DuckDB appender alone (ceiling) | {ceiling:N0} | | | | | | |"));
    return 0;
});
return await root.Parse(args).InvokeAsync();

static string LocateServer()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lodestar.slnx"))) dir = dir.Parent;
    string path = Path.Combine(dir!.FullName, "src", "Lodestar.Server", "bin", "Release", "net10.0", "Lodestar.Server.dll");
    return File.Exists(path) ? path : throw new FileNotFoundException("Build the server first: dotnet build -c Release src/Lodestar.Server", path);
}
