using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Events;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>
/// Golden files: each folder under <c>Golden/</c> holds <c>request.txt</c> (one or more HTTP requests, as the
/// SDKs send them, separated by a line <c>###</c>) and <c>expected.json</c> (the exact answers, every event
/// stored, and the profiles read back through the users API). The server's clock is fixed, so times are exact;
/// a line <c>@advance N</c> before a request moves it on by N seconds.
/// Set <c>LODESTAR_UPDATE_GOLDEN=1</c> to rewrite the expected files after a deliberate change (then review the diff).
/// </summary>
public sealed class LeanplumGoldenTests
{
    /// <summary>The server's clock: a few seconds after the captured requests were sent.</summary>
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795910370);

    public static TheoryData<string> Cases() => [.. Directory.GetDirectories(GoldenDirectory()).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_ProducesExpectedAnswersEventsAndProfiles(string name)
    {
        string directory = Path.Combine(GoldenDirectory(), name);
        var clock = new FakeTimeProvider(Now);
        using var baseFactory = new LodestarFactory();
        using var factory = baseFactory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        var app = await CreateAppAsync(factory);

        string requests = Substitute(await File.ReadAllTextAsync(Path.Combine(directory, "request.txt")), app);
        using var client = factory.CreateClient();
        var answers = new JsonArray();
        foreach (string block in requests.Split("\n###\n"))
        {
            string request = block;
            if (request.StartsWith("@advance ", StringComparison.Ordinal))
            {
                // "@advance N": N seconds pass on the server's clock before this request.
                int end = request.IndexOf('\n', StringComparison.Ordinal);
                clock.Advance(TimeSpan.FromSeconds(double.Parse(request[9..end], CultureInfo.InvariantCulture)));
                request = request[(end + 1)..];
            }

            using var message = ParseRequest(request);
            var response = await client.SendAsync(message);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            string? encoding = response.Content.Headers.ContentEncoding.SingleOrDefault();
            if (encoding == "gzip")
            {
                using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gzip.CopyToAsync(plain);
                bytes = plain.ToArray();
            }

            string body = Encoding.UTF8.GetString(bytes);
            answers.Add(new JsonObject
            {
                ["status"] = (int)response.StatusCode,
                ["contentType"] = response.Content.Headers.ContentType?.MediaType,
                ["contentEncoding"] = encoding,
                ["cors"] = response.Headers.TryGetValues("Access-Control-Allow-Origin", out var cors) ? cors.Single() : null,
                ["body"] = Normalize(JsonNode.Parse(body)),
            });
        }

        var expectedPath = Path.Combine(directory, "expected.json");
        var expected = File.Exists(expectedPath) ? JsonNode.Parse(await File.ReadAllTextAsync(expectedPath))!.AsObject() : new JsonObject();
        var actual = new JsonObject
        {
            ["answers"] = answers,
            ["events"] = await StoredEventsAsync(factory, app),
            ["profiles"] = await ProfilesAsync(factory, app, expected["profiles"] as JsonObject),
        };

        if (Environment.GetEnvironmentVariable("LODESTAR_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(expectedPath, actual.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return;
        }

        foreach (string part in new[] { "answers", "events", "profiles" })
        {
            Assert.True(JsonNode.DeepEquals(expected[part], actual[part]),
                $"{name}: {part} differ.\nexpected: {expected[part]?.ToJsonString()}\nactual:   {actual[part]?.ToJsonString()}");
        }
    }

    internal static async Task<TestApp> CreateAppAsync(WebApplicationFactory<Program> factory)
    {
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", LodestarFactory.AdminToken);
        var json = await (await admin.PostJsonAsync("/api/v1/apps", "{\"name\":\"Golden\"}")).JsonAsync();
        var keys = json.GetProperty("keys");
        return new TestApp(json.GetProperty("id").GetString()!, keys.GetProperty("production").GetString()!,
            keys.GetProperty("development").GetString()!, keys.GetProperty("export").GetString()!, keys.GetProperty("segmentWriteKey").GetString()!);
    }

    private static string Substitute(string text, TestApp app) => text
        .Replace("{{appId}}", app.Id, StringComparison.Ordinal)
        .Replace("{{productionKey}}", app.ProductionKey, StringComparison.Ordinal)
        .Replace("{{developmentKey}}", app.DevelopmentKey, StringComparison.Ordinal)
        .Replace("{{exportKey}}", app.ExportKey, StringComparison.Ordinal)
        .Replace("{{segmentWriteKey}}", app.WriteKey, StringComparison.Ordinal);

    /// <summary>"METHOD target", header lines, a blank line, the body (kept byte for byte, without the final newline).</summary>
    private static HttpRequestMessage ParseRequest(string text)
    {
        text = text.Trim('\n');
        int split = text.IndexOf("\n\n", StringComparison.Ordinal);
        string head = split < 0 ? text : text[..split];
        string? body = split < 0 ? null : text[(split + 2)..];
        var lines = head.Split('\n');
        var start = lines[0].Split(' ', 2);
        var message = new HttpRequestMessage(new HttpMethod(start[0]), start[1]);
        var contentHeaders = new List<(string, string)>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string header = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (header.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) contentHeaders.Add((header, value));
            else message.Headers.TryAddWithoutValidation(header, value);
        }

        if (body is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            foreach (var (header, value) in contentHeaders) message.Content.Headers.TryAddWithoutValidation(header, value);
        }

        return message;
    }

    /// <summary>Session tokens are random: compared by presence only.</summary>
    private static JsonNode? Normalize(JsonNode? body)
    {
        foreach (var item in (body?["response"] as JsonArray) ?? [])
        {
            if (item is JsonObject o && o["token"] is JsonValue token && token.GetValue<string>().Length == 32) o["token"] = "<token>";
        }

        return body;
    }

    private static async Task<JsonArray> StoredEventsAsync(WebApplicationFactory<Program> factory, TestApp app)
    {
        // Acknowledged events reach the store from the durable log shortly after their answer.
        await factory.Services.GetRequiredService<Lodestar.Server.Users.ReadYourWrites>().EventsAsync(CancellationToken.None);
        var store = factory.Services.GetRequiredService<IEventStore>();
        var events = new JsonArray();
        foreach (var stored in store.ReadFrom(0, 10_000).Where(s => s.AppId == app.Id))
        {
            var e = stored.Event;
            events.Add(new JsonObject
            {
                ["type"] = e.Type,
                ["name"] = e.Name,
                ["userId"] = e.UserId,
                ["anonymousId"] = e.AnonymousId,
                ["messageId"] = e.MessageId,
                ["time"] = e.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                ["value"] = e.Value,
                ["internal"] = e.Internal,
                ["properties"] = e.PropertiesJson is null ? null : JsonNode.Parse(e.PropertiesJson),
                ["context"] = e.ContextJson is null ? null : JsonNode.Parse(e.ContextJson),
                ["profileChanges"] = e.ProfileChanges is null ? null : JsonSerializer.SerializeToNode(e.ProfileChanges, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault }),
            });
        }

        return events;
    }

    /// <summary>The profiles named in the expected file (by user or device id), as the users API returns them.</summary>
    private static async Task<JsonObject> ProfilesAsync(WebApplicationFactory<Program> factory, TestApp app, JsonObject? expected)
    {
        var profiles = new JsonObject();
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", LodestarFactory.AdminToken);
        foreach (var (id, _) in expected ?? [])
        {
            var response = await admin.GetAsync($"/api/v1/apps/{app.Id}/users/{Uri.EscapeDataString(id)}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                profiles[id] = null;
                continue;
            }

            var profile = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            profile.Remove("personId");
            // The engagement score (analytics, weighted by event definitions) is checked by the insights tests, not here.
            profile.Remove("engagementScore");
            profiles[id] = profile;
        }

        return profiles;
    }

    private static string GoldenDirectory([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Golden");
}
