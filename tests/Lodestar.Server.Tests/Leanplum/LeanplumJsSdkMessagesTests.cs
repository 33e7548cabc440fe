using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Server.Tests.Messages;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>
/// In-app messages through the official Leanplum JS SDK (npm <c>leanplum-sdk</c> 1.9.0, unmodified) under jsdom:
/// a message triggered by an event reaches the app's <c>showMessage</c> handler, rendered for the person, and the
/// impression and action the SDK tracks are counted for the message; a person outside the audience never gets it.
/// </summary>
public sealed class LeanplumJsSdkMessagesTests
{
    [Fact]
    public async Task EventTriggeredMessage_ReachesTheSdkHandler_OnlyInsideTheAudience()
    {
        int port = LodestarFactory.FreePort();
        var segments = new TestSegmentAudience();
        using var baseFactory = new LodestarFactory(settings: new Dictionary<string, string?> { ["urls"] = $"http://127.0.0.1:{port}" });
        using var factory = baseFactory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ISegmentAudience>(segments)));
        factory.UseKestrel(port);
        factory.StartServer();
        string url = $"http://127.0.0.1:{port}";
        var app = await LeanplumGoldenTests.CreateAppAsync(factory);
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", LodestarFactory.AdminToken);

        // The two persons exist (from another device) before the segment holding one of them is saved.
        using (var client = factory.CreateClient())
        {
            foreach (string user in new[] { "insider", "outsider" })
            {
                string start = $$"""{"appId":"{{app.Id}}","clientKey":"{{app.ProductionKey}}","action":"start","userId":"{{user}}","deviceId":"phone-{{user}}"}""";
                Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api", new StringContent(start, Encoding.UTF8, "text/plain"))).StatusCode);
            }
        }

        string insiderId = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/insider")).JsonAsync()).GetProperty("personId").GetString()!;
        segments.Define(app.Id, "upgraders", insiderId);

        var created = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/messages", """
            {"name":"Upgrade prompt","action":"Confirm",
             "vars":{"Title":"Hi {{ userAttribute.plan }}","Message":"Upgrade now, {{ userAttribute.nickname | default: \"friend\" }}?",
                     "Accept text":"Yes","Cancel text":"No",
                     "Accept action":{"__name__":"Open URL","URL":"https://example.test/upgrade"},"Cancel action":null},
             "whenTriggers":{"verb":"OR","children":[{"subject":"event","noun":"Purchase Clicked","verb":"triggers","objects":[]}]},
             "whenLimits":{"verb":"AND","children":[{"subject":"times","noun":"1","verb":"limitSession","objects":[]}]},
             "priority":1000,"startTime":null,"endTime":null,"audience":{"segmentId":"upgraders"},"status":"active"}
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        long messageId = (await created.JsonAsync()).GetProperty("id").GetInt64();
        string key = messageId.ToString(CultureInfo.InvariantCulture);

        var insider = await RunAsync(url, app, "insider", "pro");
        Assert.True(insider["started"]!.GetValue<bool>(), "start callback");
        Assert.True(insider["received"]!.AsObject().ContainsKey(key), insider["received"]!.ToJsonString());

        // Shown once, for the triggering event only (not at start, not for the other event, not twice in the session).
        var shown = Assert.Single(insider["shown"]!.AsArray());
        Assert.Equal("Purchase Clicked", shown!["afterEvent"]!.GetValue<string>());
        Assert.Equal(key, shown["messageId"]!.GetValue<string>());
        Assert.Equal("Confirm", shown["vars"]!["__name__"]!.GetValue<string>());
        Assert.Equal("Hi pro", shown["vars"]!["Title"]!.GetValue<string>());
        Assert.Equal("Upgrade now, friend?", shown["vars"]!["Message"]!.GetValue<string>());
        Assert.Equal("Yes", shown["vars"]!["Accept text"]!.GetValue<string>());
        Assert.Equal(["https://example.test/upgrade"], insider["openedUrls"]!.AsArray().Select(u => u!.GetValue<string>()));
        AssertAllAnswered(insider);

        var outsider = await RunAsync(url, app, "outsider", "pro");
        Assert.True(outsider["started"]!.GetValue<bool>(), "start callback");
        Assert.Empty(outsider["received"]!.AsObject());
        Assert.Empty(outsider["shown"]!.AsArray());
        AssertAllAnswered(outsider);

        // The impression and the Accept the SDK tracked are counted for the message.
        var stats = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/messages/{messageId}/stats")).JsonAsync();
        var arm = Assert.Single(stats.GetProperty("arms").EnumerateArray());
        Assert.Equal(1, arm.GetProperty("impressions").GetInt64());
        Assert.Equal(1, arm.GetProperty("viewers").GetInt64());
        Assert.Equal(1, arm.GetProperty("actions").GetProperty("Accept").GetProperty("events").GetInt64());
    }

    private static void AssertAllAnswered(JsonNode output)
    {
        foreach (var request in output["requests"]!.AsArray())
        {
            Assert.Equal(200, request!["status"]!.GetValue<int>());
            var answer = JsonNode.Parse(request["response"]!.GetValue<string>())!["response"]!.AsArray();
            Assert.All(answer, item => Assert.True(item!["success"]!.GetValue<bool>(), item.ToJsonString()));
        }
    }

    private static async Task<JsonNode> RunAsync(string url, TestApp app, string userId, string plan)
    {
        string stdout;
        try
        {
            stdout = await NodeRunner.RunAsync("leanplum", "run-messages.js", new Dictionary<string, string>
            {
                ["LODESTAR_URL"] = url,
                ["LODESTAR_APP_ID"] = app.Id,
                ["LODESTAR_PRODUCTION_KEY"] = app.ProductionKey,
                ["LODESTAR_USER_ID"] = userId,
                ["LODESTAR_PLAN"] = plan,
            }, TimeSpan.FromMinutes(3));
        }
        catch (InvalidOperationException ex)
        {
            Assert.Fail(ex.Message);
            throw;
        }

        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.True(line is not null && line.StartsWith('{'), $"node printed no result: {stdout}");
        var result = JsonNode.Parse(line)!;
        Assert.True(result["error"] is null, $"The SDK script failed: {result["error"]}");
        return result;
    }
}
