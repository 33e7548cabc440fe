using System.Net;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Content;

/// <summary><c>POST /api/v1/apps/{appId}/inbox</c> and the inbox actions of the Leanplum API.</summary>
public sealed class InboxApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new(services: s => s.AddSingleton<ISegmentAudience, VipSegments>());

    public void Dispose() => _factory.Dispose();

    private HttpClient Admin() => _factory.CreateAdminClient();

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient admin, TestApp app, string body)
    {
        var response = await admin.PostAsync($"/api/v1/apps/{app.Id}/inbox", new StringContent(body));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Send_ListRead_MarkRead_Delete_AndStartSaysWhenToSync()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await LodestarFactory.CreateAppAsync(admin, "inbox");
        var phone = new LeanplumDevice(client, app, "phone", "reader");
        Assert.False((await phone.StartAsync())["syncNewsfeed"]!.GetValue<bool>());

        var (status, sent) = await SendAsync(admin, app, """
            {"userIds":["reader","nobody-yet"],"title":"Inbox title","subtitle":"Inbox subtitle","imageUrl":"https://example.test/img.png",
             "data":{"k":"v","n":2},"openAction":{"__name__":"Open URL","URL":"https://example.test/inbox"},"expiresAt":null}
            """);
        Assert.True(status == HttpStatusCode.OK, sent.ToJsonString());
        Assert.Equal(1, sent["recipients"]!.GetValue<int>());
        Assert.Equal(["nobody-yet"], sent["unknownUserIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        long messageId = sent["messageId"]!.GetValue<long>();
        string inboxId = $"{messageId}##1";

        // Something new: start says to download; the download has the SDK's shape.
        Assert.True((await phone.StartAsync())["syncNewsfeed"]!.GetValue<bool>());
        var inbox = await phone.InboxAsync();
        var message = Assert.Single(inbox);
        Assert.Equal(inboxId, message.Key);
        Assert.False(message.Value!["isRead"]!.GetValue<bool>());
        long delivered = message.Value["deliveryTimestamp"]!.GetValue<long>();
        Assert.InRange(delivered, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var data = message.Value["messageData"]!;
        Assert.Equal("Open URL", data["action"]!.GetValue<string>());
        Assert.Equal(messageId, data["parentCampaignId"]!.GetValue<long>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"Title":"Inbox title","Subtitle":"Inbox subtitle","Image":"https://example.test/img.png","Data":{"k":"v","n":2},
             "Open action":{"__name__":"Open URL","URL":"https://example.test/inbox"}}
            """), data["vars"]), data["vars"]!.ToJsonString());

        // Downloaded and held: nothing to sync. Another device of the same person holds nothing: sync.
        Assert.False((await phone.StartAsync(inboxId))["syncNewsfeed"]!.GetValue<bool>());
        var tablet = new LeanplumDevice(client, app, "tablet", "reader");
        Assert.True((await tablet.StartAsync())["syncNewsfeed"]!.GetValue<bool>());
        Assert.Single(await tablet.InboxAsync());

        // Read on the tablet: the phone is told to sync and sees it read.
        await tablet.MarkReadAsync(inboxId);
        Assert.True((await phone.StartAsync(inboxId))["syncNewsfeed"]!.GetValue<bool>());
        Assert.True((await phone.InboxAsync())[inboxId]!["isRead"]!.GetValue<bool>());
        Assert.False((await phone.StartAsync(inboxId))["syncNewsfeed"]!.GetValue<bool>());

        // Deleted: gone for every device, and it stays gone.
        await phone.DeleteInboxAsync(inboxId);
        Assert.Empty(await phone.InboxAsync());
        Assert.True((await tablet.StartAsync(inboxId))["syncNewsfeed"]!.GetValue<bool>());
        Assert.Empty(await tablet.InboxAsync());
        // Deleting again or an unknown id still answers success (the SDK does not retry).
        await phone.DeleteInboxAsync(inboxId);
        await phone.MarkReadAsync("999##1");
    }

    [Fact]
    public async Task Send_KeepsAtMost300PerPerson_DropsTheOldest_AndHidesExpired()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await LodestarFactory.CreateAppAsync(admin, "inbox");
        var device = new LeanplumDevice(client, app, "d", "hoarder");
        await device.StartAsync();
        var ids = new List<long>();
        for (int i = 0; i < 305; i++)
        {
            var (status, sent) = await SendAsync(admin, app, $$"""{"userId":"hoarder","title":"m{{i}}"}""");
            Assert.Equal(HttpStatusCode.OK, status);
            ids.Add(sent["messageId"]!.GetValue<long>());
        }

        var inbox = await device.InboxAsync();
        Assert.Equal(300, inbox.Count);
        Assert.Equal(ids.Skip(5).Select(id => $"{id}##1").Order(), inbox.Select(m => m.Key).Order());

        var (_, expiring) = await SendAsync(admin, app, $$"""{"userId":"hoarder","title":"soon gone","expiresAt":"{{DateTimeOffset.UtcNow.AddSeconds(2):O}}"}""");
        string expiringId = $"{expiring["messageId"]!.GetValue<long>()}##1";
        var listed = (await device.InboxAsync())[expiringId]!;
        Assert.True(listed["expirationTimestamp"]!.GetValue<long>() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await Task.Delay(2500);
        Assert.False((await device.InboxAsync()).ContainsKey(expiringId));
    }

    [Fact]
    public async Task Send_ToASegment_ReachesItsPersons()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await LodestarFactory.CreateAppAsync(admin, "inbox");
        foreach (string user in new[] { "vip-1", "vip-2", "plain" }) await new LeanplumDevice(client, app, "dev-" + user, user).StartAsync();
        var (status, sent) = await SendAsync(admin, app, """{"segmentId":"vip","title":"For VIPs"}""");
        Assert.True(status == HttpStatusCode.OK, sent.ToJsonString());
        Assert.Equal(2, sent["recipients"]!.GetValue<int>());
        Assert.Single(await new LeanplumDevice(client, app, "dev-vip-2", "vip-2").InboxAsync());
        Assert.Empty(await new LeanplumDevice(client, app, "dev-plain", "plain").InboxAsync());
    }

    [Theory]
    [InlineData("""{"title":"no target"}""", "userIds")]
    [InlineData("""{"userId":"a","userIds":["b"],"title":"two targets"}""", "userIds")]
    [InlineData("""{"userIds":["a"]}""", "title")]
    [InlineData("""{"userIds":["a",""],"title":"t"}""", "userIds[1]")]
    [InlineData("""{"segmentId":"unknown-segment","title":"t"}""", "segmentId")]
    [InlineData("""{"userId":"a","title":"t","imageUrl":"not a url"}""", "imageUrl")]
    [InlineData("""{"userId":"a","title":"t","data":[1]}""", "data")]
    [InlineData("""{"userId":"a","title":"t","openAction":{"URL":"x"}}""", "openAction")]
    [InlineData("""{"userId":"a","title":"t","expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    public async Task Send_Invalid_Is400NamingTheField(string body, string field)
    {
        using var admin = Admin();
        var app = await LodestarFactory.CreateAppAsync(admin, "inbox");
        var (status, problem) = await SendAsync(admin, app, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }
}
