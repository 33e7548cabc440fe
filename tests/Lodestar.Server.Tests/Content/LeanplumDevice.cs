using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Content;

/// <summary>A device speaking the Leanplum protocol as the JS SDK does (anonymous: userId = deviceId).</summary>
public sealed class LeanplumDevice(HttpClient client, TestApp app, string deviceId, string? userId = null)
{
    public string DeviceId { get; } = deviceId;

    public string UserId { get; private set; } = userId ?? deviceId;

    private static string Now => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Runs one action; returns its answer item (after checking it succeeded).</summary>
    public async Task<JsonObject> CallAsync(string action, JsonObject? args = null)
    {
        var item = args ?? [];
        item["action"] = action;
        item["deviceId"] = DeviceId;
        item["userId"] = UserId;
        item["time"] = Now;
        var body = new JsonObject { ["data"] = new JsonArray(item) }.ToJsonString();
        var response = await client.PostAsync($"/api?appId={app.Id}&client=js&clientKey={app.ProductionKey}&sdkVersion=1.9.0&action=multi&time={Now}",
            new StringContent(body, Encoding.UTF8, "text/plain"));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!.AsArray();
        var result = answer[0]!.AsObject();
        Assert.True(result["success"]!.GetValue<bool>(), $"{action}: {result.ToJsonString()}");
        return result;
    }

    public Task<JsonObject> StartAsync(params string[] heldInboxIds) =>
        CallAsync("start", new JsonObject { ["userAttributes"] = "{}", ["newsfeedMessages"] = new JsonArray([.. heldInboxIds.Select(i => (JsonNode)i)]) });

    public Task<JsonObject> GetVarsAsync() => CallAsync("getVars", new JsonObject { ["includeDefaults"] = false });

    public async Task<JsonObject> InboxAsync() => (await CallAsync("getNewsfeedMessages"))["newsfeedMessages"]!.AsObject();

    public Task<JsonObject> MarkReadAsync(string inboxId) => CallAsync("markNewsfeedMessageAsRead", new JsonObject { ["newsfeedMessageId"] = inboxId });

    public Task<JsonObject> DeleteInboxAsync(string inboxId) => CallAsync("deleteNewsfeedMessage", new JsonObject { ["newsfeedMessageId"] = inboxId });

    /// <summary>JS <c>setUserId</c>: the item still carries the old user id, with <c>newUserId</c>.</summary>
    public async Task LoginAsync(string newUserId)
    {
        await CallAsync("setUserAttributes", new JsonObject { ["newUserId"] = newUserId });
        UserId = newUserId;
    }

    public static long[] VariantIds(JsonObject answer) => [.. answer["variants"]!.AsArray().Select(v => v!["id"]!.GetValue<long>())];
}
