using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.EndToEnd;

/// <summary>The real <c>@segment/analytics-node</c> library, under Node, against the real host on a loopback port.</summary>
public sealed class SegmentNodeLibraryTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task AnalyticsNode_SendsSession_AndItReadsBackMergedThroughTheApi()
    {
        string url = _factory.StartOnLoopback();
        var app = await _factory.CreateAppAsync("Segment e2e");

        string output = await NodeRunner.RunAsync("segment", "send.mjs",
            new Dictionary<string, string> { ["LODESTAR_URL"] = url, ["WRITE_KEY"] = app.WriteKey }, TimeSpan.FromMinutes(2));
        var report = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.Equal(10, report.GetProperty("delivered").EnumerateArray().Sum(n => n.GetInt32()));

        using var admin = _factory.CreateAdminClient();
        var events = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/e2e-user-1/events")).JsonAsync()).GetProperty("events");
        var names = events.EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order().ToList();
        // The anonymous page view and cart addition merged into the user; the fixed messageId was stored once.
        Assert.Equal(["Add To Cart", "Order Completed", "Order Completed", "Pricing", "Receipt"], names);
        var order = events.EnumerateArray().First(e => e.GetProperty("name").GetString() == "Order Completed" && e.GetProperty("value").GetDouble() == 42.5);
        Assert.Equal("EUR", order.GetProperty("properties").GetProperty("currency").GetString());

        var byAnonymous = await admin.GetAsync($"/api/v1/apps/{app.Id}/users/e2e-anon-1");
        Assert.Equal(HttpStatusCode.OK, byAnonymous.StatusCode);
        var profile = await byAnonymous.JsonAsync();
        Assert.Equal("e2e-user-1", profile.GetProperty("userId").GetString());
        Assert.Equal("pro", profile.GetProperty("attributes").GetProperty("plan").GetString());
        Assert.Equal("ad", profile.GetProperty("attributes").GetProperty("referrer").GetString());
        Assert.Equal("team-42", profile.GetProperty("attributes").GetProperty("groups")[0].GetString());
        Assert.Equal("Europe/Paris", profile.GetProperty("timezone").GetString());
        var device = Assert.Single(profile.GetProperty("devices").EnumerateArray());
        Assert.Equal("apns-e2e-token", device.GetProperty("pushTokens").GetProperty("ios").GetString());
        Assert.Equal("5.2.0", device.GetProperty("appVersion").GetString());

        // alias linked the legacy id to the same person.
        var legacy = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/e2e-legacy-id")).JsonAsync();
        Assert.Equal(profile.GetProperty("personId").GetString(), legacy.GetProperty("personId").GetString());
    }
}
