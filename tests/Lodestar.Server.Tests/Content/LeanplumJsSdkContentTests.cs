using System.Net;
using System.Text.Json.Nodes;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Content;

/// <summary>
/// Variables, A/B tests and the app inbox through the official Leanplum JS SDK (npm <c>leanplum-sdk</c> 1.9.0,
/// unmodified) under Node and jsdom, against the real host on a real port. Every run is a fresh browser.
/// </summary>
public sealed class LeanplumJsSdkContentTests : IDisposable
{
    private readonly LodestarFactory _factory = new();
    private readonly string _url;

    public LeanplumJsSdkContentTests() => _url = _factory.StartOnLoopback();

    public void Dispose() => _factory.Dispose();

    private async Task<JsonNode> RunSdkAsync(TestApp app, string userId, string steps = "")
    {
        string stdout = await NodeRunner.RunAsync("leanplum", "run-content.js", new Dictionary<string, string>
        {
            ["LODESTAR_URL"] = _url,
            ["LODESTAR_APP_ID"] = app.Id,
            ["LODESTAR_PRODUCTION_KEY"] = app.ProductionKey,
            ["LODESTAR_USER_ID"] = userId,
            ["LODESTAR_STEPS"] = steps,
        }, TimeSpan.FromSeconds(90));
        var output = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!;
        Assert.True(output["error"] is null, $"The SDK script failed: {output["error"]}");
        Assert.True(output["started"]!.GetValue<bool>(), "start callback");
        foreach (var request in output["requests"]!.AsArray())
        {
            Assert.Equal(200, request!["status"]!.GetValue<int>());
            foreach (var item in JsonNode.Parse(request["response"]!.GetValue<string>())!["response"]!.AsArray())
                Assert.True(item!["success"]!.GetValue<bool>(), item.ToJsonString());
        }

        return output;
    }

    /// <summary>The start answer the SDK got.</summary>
    private static JsonNode StartAnswer(JsonNode output) =>
        output["requests"]!.AsArray()
            .Select(r => (Sent: JsonNode.Parse(r!["body"]!.GetValue<string>())!, Answer: JsonNode.Parse(r["response"]!.GetValue<string>())!))
            .Where(r => r.Sent["data"]?[0]?["action"]?.GetValue<string>() == "start")
            .Select(r => r.Answer["response"]![0]!)
            .Single();

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    [Fact]
    public async Task OfficialJsSdk_TwoPersonsInDifferentVariants_SeeDifferentValues()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"/api/v1/apps/{app.Id}/variables",
            new StringContent("""{"defaults":{"greeting":"Hello","color":"blue","config":{"maxItems":5}}}"""))).StatusCode);
        var created = await admin.PostAsync($"/api/v1/apps/{app.Id}/ab-tests", new StringContent("""
            {"name":"Greeting","audience":{"segmentId":null,"trafficPercent":100},"status":"running",
             "variants":[{"name":"Control","weight":100,"values":{}},{"name":"B","weight":0,"values":{"greeting":"Hola","config":{"maxItems":10}}}]}
            """));
        var test = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.True(created.StatusCode == HttpStatusCode.Created, test.ToJsonString());
        string testId = test["id"]!.GetValue<string>();
        long control = test["variants"]![0]!["id"]!.GetValue<long>(), b = test["variants"]![1]!["id"]!.GetValue<long>();

        // All weight on the control: Ana lands there.
        var ana = await RunSdkAsync(app, "ana");
        AssertJson("""{"greeting":"Hello","color":"blue","config":{"maxItems":5}}""", ana["variables"]);
        AssertJson($$"""[{"id":{{control}}}]""", ana["variants"]);

        // Then all weight on B: Ben lands in B; Ana, already assigned, stays in the control in a fresh browser.
        var updated = await admin.PutAsync($"/api/v1/apps/{app.Id}/ab-tests/{testId}", new StringContent("""
            {"variants":[{"id":CONTROL,"name":"Control","weight":0,"values":{}},{"id":B,"name":"B","weight":100,"values":{"greeting":"Hola","config":{"maxItems":10}}}]}
            """.Replace("CONTROL", control.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace(":B,", ":" + b.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var ben = await RunSdkAsync(app, "ben");
        AssertJson("""{"greeting":"Hola","color":"blue","config":{"maxItems":10}}""", ben["variables"]);
        AssertJson($$"""[{"id":{{b}}}]""", ben["variants"]);
        AssertJson("""{"greeting":"Hola","config":{"maxItems":10}}""", StartAnswer(ben)["vars"]);

        var anaAgain = await RunSdkAsync(app, "ana");
        AssertJson("""{"greeting":"Hello","color":"blue","config":{"maxItems":5}}""", anaAgain["variables"]);
        AssertJson($$"""[{"id":{{control}}}]""", anaAgain["variants"]);
    }

    [Fact]
    public async Task OfficialJsSdk_InboxMessage_IsListedReadAndDeleted_AndTheStateSurvivesAFreshStart()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        var first = await RunSdkAsync(app, "reader");
        Assert.False(StartAnswer(first)["syncNewsfeed"]!.GetValue<bool>());

        var sent = await admin.PostAsync($"/api/v1/apps/{app.Id}/inbox", new StringContent("""
            {"userIds":["reader"],"title":"Inbox title","subtitle":"Inbox subtitle","imageUrl":"https://example.test/img.png",
             "data":{"k":"v"},"openAction":{"__name__":"Open URL","URL":"https://example.test/inbox"}}
            """));
        var body = JsonNode.Parse(await sent.Content.ReadAsStringAsync())!;
        Assert.Equal(1, body["recipients"]!.GetValue<int>());
        string inboxId = body["messageId"]!.GetValue<long>() + "##1";

        // Listed (start asks the SDK to download), then read.
        var listed = await RunSdkAsync(app, "reader", "download,read,download");
        Assert.True(StartAnswer(listed)["syncNewsfeed"]!.GetValue<bool>());
        var message = Assert.Single(listed["inbox"]![0]!.AsArray())!;
        Assert.Equal(inboxId, message["id"]!.GetValue<string>());
        Assert.Equal("Inbox title", message["title"]!.GetValue<string>());
        Assert.Equal("Inbox subtitle", message["subtitle"]!.GetValue<string>());
        Assert.Equal("https://example.test/img.png", message["imageUrl"]!.GetValue<string>());
        AssertJson("""{"k":"v"}""", message["data"]);
        Assert.Equal("https://example.test/inbox", message["openAction"]!["URL"]!.GetValue<string>());
        Assert.False(message["isRead"]!.GetValue<bool>());
        Assert.True(listed["inbox"]![1]![0]!["isRead"]!.GetValue<bool>());

        // A fresh browser: the message is still there, read; then it is deleted.
        var fresh = await RunSdkAsync(app, "reader", "download,delete");
        Assert.True(StartAnswer(fresh)["syncNewsfeed"]!.GetValue<bool>());
        var again = Assert.Single(fresh["inbox"]![0]!.AsArray())!;
        Assert.Equal(inboxId, again["id"]!.GetValue<string>());
        Assert.True(again["isRead"]!.GetValue<bool>());

        // Another fresh browser: deleted stays deleted.
        var afterDelete = await RunSdkAsync(app, "reader", "download");
        Assert.Empty(afterDelete["inbox"]![0]!.AsArray());
    }
}
