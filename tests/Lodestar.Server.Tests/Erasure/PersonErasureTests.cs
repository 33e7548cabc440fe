using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Core.Experiments;
using Lodestar.Core.Messages;
using Lodestar.Server.Tests.Content;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Erasure;

/// <summary>
/// Leanplum <c>deleteUser</c> erases a person from every per-person store (inbox, A/B-test assignments, message
/// impression counts), and a login merge carries the anonymous person's inbox to the known person.
/// </summary>
public sealed class PersonErasureTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static string Now => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    private static async Task<JsonNode> PostJsonAsync(HttpClient admin, string url, string body)
    {
        var response = await admin.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<long> SendInboxAsync(HttpClient admin, TestApp app, string userId, string title)
    {
        var sent = await PostJsonAsync(admin, $"/api/v1/apps/{app.Id}/inbox", $$"""{"userIds":["{{userId}}"],"title":"{{title}}"}""");
        Assert.Equal(1, sent["recipients"]!.GetValue<int>());
        return sent["messageId"]!.GetValue<long>();
    }

    private async Task<string> PersonIdAsync(TestApp app, string userId)
    {
        using var admin = _factory.CreateAdminClient();
        var body = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/users/{userId}"))!;
        return body["personId"]!.GetValue<string>();
    }

    private async Task<List<string>> EventNamesAsync(TestApp app, string userId)
    {
        using var admin = _factory.CreateAdminClient();
        var body = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/users/{userId}/events"))!;
        return [.. body["events"]!.AsArray().Select(e => e!["name"]!.GetValue<string>())];
    }

    private static IEnumerable<string> MessageKeys(JsonObject startAnswer) => startAnswer["messages"]!.AsObject().Select(p => p.Key);

    [Fact]
    public async Task DeleteUser_ErasesInboxAssignmentsAndImpressions_IncludingThoseOfTheMergedAnonymousDevice()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        using var client = _factory.CreateClient();
        var test = await PostJsonAsync(admin, $"/api/v1/apps/{app.Id}/ab-tests", """
            {"name":"erase","audience":{"segmentId":null,"trafficPercent":100},"status":"running",
             "variants":[{"name":"Control","weight":50,"values":{}},{"name":"B","weight":50,"values":{"greeting":"Hola"}}]}
            """);
        string testId = test["id"]!.ToJsonString().Trim('"');
        var message = await PostJsonAsync(admin, $"/api/v1/apps/{app.Id}/messages", """
            {"name":"Once","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "whenLimits":{"children":[{"subject":"times","noun":1,"verb":"limitUser"}]}}
            """);
        string messageKey = message["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture);

        // The known user exists already (on a laptop), so the phone's login below merges two persons.
        var laptop = new LeanplumDevice(client, app, "erase-laptop", "erase-me");
        Assert.Single(LeanplumDevice.VariantIds(await laptop.StartAsync()));

        // Anonymous on the phone: assigned, shown the message once, given an inbox message.
        var phone = new LeanplumDevice(client, app, "erase-phone");
        var first = await phone.StartAsync();
        Assert.Single(LeanplumDevice.VariantIds(first));
        Assert.Contains(messageKey, MessageKeys(first));
        await phone.CallAsync("track", new JsonObject { ["messageId"] = messageKey });
        await SendInboxAsync(admin, app, "erase-phone", "while anonymous");
        string anonymousPerson = await PersonIdAsync(app, "erase-phone");

        // Logs in as the known user, who then gets an inbox message of their own.
        await phone.LoginAsync("erase-me");
        await SendInboxAsync(admin, app, "erase-me", "while known");
        var known = await phone.StartAsync();
        Assert.DoesNotContain(messageKey, MessageKeys(known));
        Assert.Equal(2, (await phone.InboxAsync()).Count);
        string person = await PersonIdAsync(app, "erase-me");
        Assert.NotEqual(anonymousPerson, person);

        var inbox = _factory.Services.GetRequiredService<IInboxStore>();
        var tests = _factory.Services.GetRequiredService<IAbTestStore>();
        var impressions = _factory.Services.GetRequiredService<IMessageImpressionStore>();
        Assert.NotNull(tests.FindAssignment(testId, person, []));
        Assert.Equal(anonymousPerson, tests.FindAssignment(testId, anonymousPerson, [])!.PersonId);

        var deleted = await client.PostAsync($"/api?appId={app.Id}&clientKey={app.DevelopmentKey}&action=deleteUser&userId=erase-me", null);
        var answer = JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["response"]![0]!;
        Assert.True(answer["success"]!.GetValue<bool>(), answer.ToJsonString());

        // Nothing of either person id is left in the stores; the device's old assignment cannot be carried over.
        foreach (string id in new[] { person, anonymousPerson })
        {
            Assert.Empty(inbox.Messages(app.Id, id, DateTimeOffset.UtcNow));
            Assert.Equal(0, inbox.Version(app.Id, id));
            Assert.Null(inbox.SyncedVersion(app.Id, id, "erase-phone"));
            Assert.Empty(impressions.ImpressionsOf(app.Id, id, [messageKey]));
            Assert.Null(tests.FindAssignment(testId, id, []));
        }

        Assert.Null(tests.FindAssignment(testId, "someone-new", ["erase-phone"]));

        // The same device starts again: a fresh person with an empty inbox, the message shown again, a fresh draw
        // (a draw, not a carried-over assignment, stores an exposure event).
        var again = new LeanplumDevice(client, app, "erase-phone");
        var fresh = await again.StartAsync();
        Assert.Contains(messageKey, MessageKeys(fresh));
        Assert.Single(LeanplumDevice.VariantIds(fresh));
        Assert.Empty(await again.InboxAsync());
        string freshPerson = await PersonIdAsync(app, "erase-phone");
        Assert.NotEqual(person, freshPerson);
        Assert.NotEqual(anonymousPerson, freshPerson);
        Assert.Equal(freshPerson, tests.FindAssignment(testId, freshPerson, [])!.PersonId);
        Assert.Contains("$experiment_exposure", await EventNamesAsync(app, "erase-phone"));
    }

    [Fact]
    public async Task DeleteUser_LeavesOtherPersonsUntouched()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        using var client = _factory.CreateClient();
        var gone = new LeanplumDevice(client, app, "gone-dev", "gone");
        var stays = new LeanplumDevice(client, app, "stays-dev", "stays");
        await gone.StartAsync();
        await stays.StartAsync();
        await SendInboxAsync(admin, app, "gone", "g");
        long kept = await SendInboxAsync(admin, app, "stays", "s");
        await stays.MarkReadAsync($"{kept}##1");

        var deleted = await client.PostAsync($"/api?appId={app.Id}&clientKey={app.DevelopmentKey}&action=deleteUser&userId=gone", null);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        var inbox = await stays.InboxAsync();
        Assert.True(inbox[$"{kept}##1"]!["isRead"]!.GetValue<bool>());
        Assert.Single(inbox);
        Assert.Empty(await gone.InboxAsync());
    }

    [Fact]
    public async Task LoginMerge_MovesTheAnonymousInboxToTheKnownPerson_KeepingReadAndDeletedState()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        using var client = _factory.CreateClient();

        // The known user already has a message on their phone.
        var alicePhone = new LeanplumDevice(client, app, "alice-phone", "alice");
        await alicePhone.StartAsync();
        long own = await SendInboxAsync(admin, app, "alice", "alice's own");
        Assert.Single(await alicePhone.InboxAsync());

        // An anonymous tablet (JS: userId = deviceId) gets three messages: reads one, deletes one.
        var tablet = new LeanplumDevice(client, app, "tablet");
        await tablet.StartAsync();
        long unread = await SendInboxAsync(admin, app, "tablet", "unread");
        long read = await SendInboxAsync(admin, app, "tablet", "read");
        long removed = await SendInboxAsync(admin, app, "tablet", "deleted");
        // One send reaches both persons: after the merge it is there once, read because the tablet read it.
        var both = await PostJsonAsync(admin, $"/api/v1/apps/{app.Id}/inbox", """{"userIds":["alice","tablet"],"title":"to both"}""");
        long shared = both["messageId"]!.GetValue<long>();
        Assert.Equal(2, both["recipients"]!.GetValue<int>());
        await tablet.MarkReadAsync($"{read}##1");
        await tablet.MarkReadAsync($"{shared}##1");
        await tablet.DeleteInboxAsync($"{removed}##1");
        Assert.Equal(3, (await tablet.InboxAsync()).Count);

        await tablet.LoginAsync("alice");

        // The tablet asks as alice: alice's own, the shared one once, and the tablet's, with their read state.
        var merged = await tablet.InboxAsync();
        Dictionary<string, bool> expected = new()
        {
            [$"{own}##1"] = false,
            [$"{unread}##1"] = false,
            [$"{read}##1"] = true,
            [$"{shared}##1"] = true,
        };
        Assert.Equal(expected.OrderBy(p => p.Key), merged.Select(p => KeyValuePair.Create(p.Key, p.Value!["isRead"]!.GetValue<bool>())).OrderBy(p => p.Key));

        // Alice's phone is told the inbox changed and downloads the same set.
        Assert.True((await alicePhone.StartAsync($"{own}##1"))["syncNewsfeed"]!.GetValue<bool>());
        Assert.Equal(expected.Keys.Order(), (await alicePhone.InboxAsync()).Select(p => p.Key).Order());

        // Reading on the phone is seen on the tablet: one inbox, not two.
        await alicePhone.MarkReadAsync($"{unread}##1");
        Assert.True((await tablet.InboxAsync())[$"{unread}##1"]!["isRead"]!.GetValue<bool>());
    }

    [Fact]
    public async Task LoginMerge_SavedBeforeACrash_ButNotYetFollowed_IsFollowedAtTheNextStart()
    {
        string dataDir = LodestarFactory.NewDataDir();
        TestApp app;
        long tabletMessage;
        string tabletPerson, alicePerson;
        using (var first = new LodestarFactory(dataDir))
        {
            app = await first.CreateAppAsync();
            using var admin = first.CreateAdminClient();
            using var client = first.CreateClient();
            await new LeanplumDevice(client, app, "alice-phone", "alice").StartAsync();
            var tablet = new LeanplumDevice(client, app, "tablet");
            await tablet.StartAsync();
            tabletMessage = await SendInboxAsync(admin, app, "tablet", "on the tablet");
            tabletPerson = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/users/tablet"))!["personId"]!.GetValue<string>();
            alicePerson = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/users/alice"))!["personId"]!.GetValue<string>();
        }

        // A crash right after the identity store saved a login merge: the ids point at alice, nothing else followed.
        new Lodestar.Storage.Sqlite.SqliteIdentityStore(new Lodestar.Storage.Sqlite.SqliteDatabase(Path.Combine(dataDir, "state.sqlite")))
            .Save([], [(app.Id, tabletPerson, alicePerson)]);

        using var second = new LodestarFactory(dataDir);
        using var client2 = second.CreateClient();
        using var admin2 = second.CreateAdminClient();
        // The event store resolves the tablet's session start to alice (hers and the tablet's), and the inbox moved.
        var events = JsonNode.Parse(await admin2.GetStringAsync($"/api/v1/apps/{app.Id}/users/alice/events"))!["events"]!.AsArray();
        Assert.Equal(2, events.Count(e => e!["name"]!.GetValue<string>() == "$start"));
        Assert.Contains($"{tabletMessage}##1", (await new LeanplumDevice(client2, app, "alice-phone", "alice").InboxAsync()).Select(p => p.Key));
        Assert.Empty(new Lodestar.Storage.Sqlite.SqliteIdentityStore(new Lodestar.Storage.Sqlite.SqliteDatabase(Path.Combine(dataDir, "state.sqlite"))).PendingMerges());
    }

    [Fact]
    public async Task LoginMerge_AtStart_KeepsTheNewest300_OfBothInboxes()
    {
        var app = await _factory.CreateAppAsync();
        using var client = _factory.CreateClient();
        var alice = new LeanplumDevice(client, app, "cap-phone", "cap-alice");
        var tablet = new LeanplumDevice(client, app, "cap-tablet");
        await alice.StartAsync();
        await tablet.StartAsync();
        string alicePerson = await PersonIdAsync(app, "cap-alice");
        string tabletPerson = await PersonIdAsync(app, "cap-tablet");

        // Delivered interleaved: alice at even seconds 0..398 (200), the tablet at odd seconds 1..299 (150).
        // 350 in all; the 50 oldest (seconds 0..49: 25 of each) go, so the oldest kept is second 50.
        var inbox = _factory.Services.GetRequiredService<IInboxStore>();
        var t0 = DateTimeOffset.UtcNow.AddDays(-1);
        InboxMessage Message(string title) => new(0, app.Id, title, null, null, null, null, t0, null);
        for (int i = 0; i < 200; i++) inbox.Send(Message($"a{i}"), [alicePerson], t0.AddSeconds(2 * i));
        for (int i = 0; i < 150; i++) inbox.Send(Message($"t{i}"), [tabletPerson], t0.AddSeconds(2 * i + 1));

        // Logs in the way the native SDKs do: a start with the user id on the anonymous device.
        var loggedIn = new LeanplumDevice(client, app, "cap-tablet", "cap-alice");
        Assert.True((await loggedIn.StartAsync())["syncNewsfeed"]!.GetValue<bool>());

        var merged = await loggedIn.InboxAsync();
        Assert.Equal(300, merged.Count);
        var delivered = merged.Select(p => p.Value!["deliveryTimestamp"]!.GetValue<long>()).ToList();
        Assert.Equal(t0.AddSeconds(50).ToUnixTimeMilliseconds(), delivered.Min());
        Assert.Equal(t0.AddSeconds(398).ToUnixTimeMilliseconds(), delivered.Max());
        Assert.Equal(175, merged.Count(p => p.Value!["messageData"]!["vars"]!["Title"]!.GetValue<string>().StartsWith('a')));
        Assert.Equal(125, merged.Count(p => p.Value!["messageData"]!["vars"]!["Title"]!.GetValue<string>().StartsWith('t')));
        Assert.Equal(300, (await alice.InboxAsync()).Count);
    }

    [Fact]
    public async Task SegmentIdentify_MovesTheAnonymousInbox()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        using var client = _factory.CreateClient();

        var browser = new LeanplumDevice(client, app, "web-anon");
        await browser.StartAsync();
        long sent = await SendInboxAsync(admin, app, "web-anon", "before identify");
        var known = new LeanplumDevice(client, app, "bob-phone", "bob");
        await known.StartAsync();

        string identify = JsonSerializer.Serialize(new { userId = "bob", anonymousId = "web-anon", traits = new { plan = "pro" }, messageId = "identify-1" });
        var response = await segment.PostAsync("/v1/identify", new StringContent(identify, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        Assert.Equal([$"{sent}##1"], (await known.InboxAsync()).Select(p => p.Key));
    }
}
