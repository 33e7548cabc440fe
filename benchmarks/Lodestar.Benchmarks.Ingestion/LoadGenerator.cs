using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Lodestar.Benchmarks.Ingestion;

/// <summary>Concurrent HTTP clients posting pre-shaped batches for a fixed time; records each request's latency.</summary>
public sealed class LoadGenerator(string url, int clients, TimeSpan duration, Func<int, long, (string Path, byte[] Body, int Events)> nextBatch, AuthenticationHeaderValue? auth)
{
    public sealed record Result(long Requests, long Events, long Failures, TimeSpan Elapsed, double[] LatenciesMs)
    {
        public double EventsPerSecond => Events / Elapsed.TotalSeconds;

        public double Percentile(double p)
        {
            if (LatenciesMs.Length == 0) return double.NaN;
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }

    public async Task<Result> RunAsync()
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = auth;
        long requests = 0, events = 0, failures = 0;
        var latencies = new List<double>[clients];
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = new List<double>(100_000);
            for (long sequence = 0; stopwatch.Elapsed < duration; sequence++)
            {
                var (path, body, count) = nextBatch(client, sequence);
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue(
                    path == "/api" ? "application/x-www-form-urlencoded" : path.StartsWith("/api", StringComparison.Ordinal) ? "text/plain" : "application/json");
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync(path, content);
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref events, count);
                    }
                    else
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref requests);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        stopwatch.Stop();
        return new Result(requests, events, failures, stopwatch.Elapsed, latencies.SelectMany(l => l).ToArray());
    }

    /// <summary>A Segment batch of <paramref name="size"/> track events, unique messageIds, realistic properties and context.</summary>
    public static byte[] SegmentBatch(int client, long sequence, int size, int users)
    {
        var sb = new StringBuilder(size * 420);
        sb.Append("{\"sentAt\":\"").Append(DateTime.UtcNow.ToString("O")).Append("\",\"batch\":[");
        for (int i = 0; i < size; i++)
        {
            if (i > 0) sb.Append(',');
            long n = sequence * size + i;
            int user = (int)((n * 7919 + client * 104729) % users);
            sb.Append("{\"type\":\"track\",\"messageId\":\"").Append(RoundMarker).Append('c').Append(client).Append('-').Append(n)
              .Append("\",\"userId\":\"user-").Append(user)
              .Append("\",\"event\":\"").Append(EventNames[(int)(n % EventNames.Length)])
              .Append("\",\"timestamp\":\"").Append(DateTime.UtcNow.ToString("O"))
              .Append("\",\"properties\":{\"sku\":\"sku-").Append(n % 500).Append("\",\"price\":").Append(n % 100).Append(".99,\"currency\":\"USD\",\"category\":\"shoes\",\"page\":\"/p/").Append(n % 50)
              .Append("\"},\"context\":{\"os\":{\"name\":\"iOS\",\"version\":\"17.4\"},\"app\":{\"version\":\"5.2.0\",\"build\":\"520\"},\"device\":{\"id\":\"dev-").Append(user)
              .Append("\",\"model\":\"iPhone15,2\",\"manufacturer\":\"Apple\"},\"locale\":\"en-US\",\"timezone\":\"America/New_York\",\"library\":{\"name\":\"bench\",\"version\":\"1.0\"}}}");
        }

        sb.Append("]}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A Leanplum JS SDK <c>multi</c>: query-string parameters, <c>text/plain</c> JSON body, one device's queue.</summary>
    public static (string Path, byte[] Body) LeanplumJsBatch(string appId, string key, int client, long sequence, int size, int users)
    {
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        int user = (int)((sequence * 7919 + client * 104729) % users);
        var sb = new StringBuilder(size * 330);
        sb.Append("{\"data\":[");
        for (int i = 0; i < size; i++)
        {
            if (i > 0) sb.Append(',');
            long n = sequence * size + i;
            sb.Append("{\"event\":\"").Append(EventNames[(int)(n % EventNames.Length)]).Append("\",\"value\":").Append(n % 100)
              .Append(",\"params\":\"{\\\"sku\\\":\\\"sku-").Append(n % 500).Append("\\\",\\\"category\\\":\\\"shoes\\\"}\"")
              .Append(",\"appId\":\"").Append(appId).Append("\",\"client\":\"js\",\"clientKey\":\"").Append(key)
              .Append("\",\"sdkVersion\":\"1.9.0\",\"deviceId\":\"dev-").Append(user).Append("\",\"userId\":\"user-").Append(user)
              .Append("\",\"action\":\"track\",\"versionName\":\"2.0.1\",\"devMode\":false,\"time\":\"")
              .Append(now.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)).Append("\"}");
        }

        sb.Append("]}");
        string query = $"/api?appId={appId}&client=js&clientKey={key}&sdkVersion=1.9.0&action=multi&time={now.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}";
        return (query, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>A native (Android) <c>multi</c>: everything url-encoded in the body, <c>data</c> a JSON string, reqId/uuid per item.</summary>
    public static byte[] LeanplumNativeBatch(string appId, string key, int client, long sequence, int size, int users)
    {
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        string time = now.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        int user = (int)((sequence * 7919 + client * 104729) % users);
        string batchId = $"{RoundMarker}b{client}-{sequence}";
        var sb = new StringBuilder(size * 330);
        sb.Append("{\"data\":[");
        for (int i = 0; i < size; i++)
        {
            if (i > 0) sb.Append(',');
            long n = sequence * size + i;
            sb.Append("{\"event\":\"").Append(EventNames[(int)(n % EventNames.Length)]).Append("\",\"value\":\"").Append(n % 100)
              .Append("\",\"params\":\"{\\\"sku\\\":\\\"sku-").Append(n % 500).Append("\\\"}\"")
              .Append(",\"sdkVersion\":\"7.8.0\",\"deviceId\":\"dev-").Append(user).Append("\",\"userId\":\"user-").Append(user)
              .Append("\",\"action\":\"track\",\"devMode\":\"false\",\"time\":\"").Append(time)
              .Append("\",\"reqId\":\"").Append(batchId).Append('-').Append(i).Append("\",\"uuid\":\"").Append(batchId).Append("\"}");
        }

        sb.Append("]}");
        string form = $"appId={appId}&clientKey={key}&client=android&sdkVersion=7.8.0&action=multi&time={time}&data={Uri.EscapeDataString(sb.ToString())}";
        return Encoding.UTF8.GetBytes(form);
    }

    /// <summary>Placeholder inside de-duplication ids, overwritten with the round number each time a template is reused.</summary>
    public const string RoundMarker = "RRRRRRRR";

    /// <summary>
    /// Builds <paramref name="slots"/> request bodies per client once, then serves them round-robin with the round
    /// number patched into their ids: the generator costs a copy per request, so the machine's cores go to the server.
    /// </summary>
    public static Func<int, long, (string Path, byte[] Body, int Events)> Templated(int clients, int slots, Func<int, long, (string Path, byte[] Body, int Events)> build)
    {
        byte[] marker = Encoding.ASCII.GetBytes(RoundMarker);
        var templates = new (string Path, byte[] Body, int Events, int[] Offsets)[clients * 2][];
        for (int client = 0; client < templates.Length; client++)
        {
            templates[client] = new (string, byte[], int, int[])[slots];
            for (int slot = 0; slot < slots; slot++)
            {
                var (path, body, events) = build(client, slot);
                var offsets = new List<int>();
                for (int at = body.AsSpan().IndexOf(marker); at >= 0;)
                {
                    offsets.Add(at);
                    int next = body.AsSpan(at + marker.Length).IndexOf(marker);
                    at = next < 0 ? -1 : at + marker.Length + next;
                }

                templates[client][slot] = (path, body, events, offsets.ToArray());
            }
        }

        return (client, sequence) =>
        {
            var (path, template, events, offsets) = templates[client % templates.Length][sequence % slots];
            var body = (byte[])template.Clone();
            Span<byte> round = stackalloc byte[8];
            ((sequence / slots) % 100_000_000).TryFormat(round, out _, "D8", System.Globalization.CultureInfo.InvariantCulture);
            foreach (int offset in offsets) round.CopyTo(body.AsSpan(offset));
            return (path, body, events);
        };
    }

    private static readonly string[] EventNames = ["Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Search", "Screen View"];
}
