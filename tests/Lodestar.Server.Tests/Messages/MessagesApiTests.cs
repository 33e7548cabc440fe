using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Messages;

/// <summary>The messages management API through the real host, and what the Leanplum <c>start</c> ships from it.</summary>
public sealed class MessagesApiTests : IDisposable
{
    private readonly LodestarFactory _base = new();
    private readonly TestSegmentAudience _segments = new();
    private readonly WebApplicationFactory<Program> _factory;

    public MessagesApiTests()
    {
        _factory = _base.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ISegmentAudience>(_segments)));
    }

    public void Dispose()
    {
        _factory.Dispose();
        _base.Dispose();
    }

    private const string Confirm = """
        "name":"Upgrade","action":"Confirm",
        "vars":{"Title":"Hi {{ userAttribute.name | default: \"there\" }}","Message":"You are on {{ userAttribute.plan }}","Accept text":"Yes","Cancel text":"No",
                "Accept action":{"__name__":"Open URL","URL":"https://example.test/upgrade"},"Cancel action":null},
        "whenTriggers":{"verb":"OR","children":[{"subject":"event","noun":"Purchase Clicked","verb":"triggers","objects":[]}]},
        "whenLimits":{"verb":"AND","children":[{"subject":"times","noun":"1","verb":"limitSession","objects":[]}]}
        """;

    private HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", LodestarFactory.AdminToken);
        return client;
    }

    private async Task<TestApp> AppAsync() => await Leanplum.LeanplumGoldenTests.CreateAppAsync(_factory);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string Now => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>A Leanplum call as a native SDK sends one; returns its one answer item.</summary>
    private async Task<JsonObject> LeanplumAsync(TestApp app, string action, string userId, string extra = "")
    {
        using var client = _factory.CreateClient();
        string body = $$"""{"appId":"{{app.Id}}","clientKey":"{{app.ProductionKey}}","action":"{{action}}","userId":"{{userId}}","deviceId":"dev-{{userId}}","time":"{{Now}}"{{extra}}}""";
        var response = await client.PostAsync("/api", new StringContent(body, Encoding.UTF8, "text/plain"));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]![0]!.AsObject();
        Assert.True(answer["success"]!.GetValue<bool>(), answer.ToJsonString());
        return answer;
    }

    private Task<JsonObject> StartAsync(TestApp app, string userId, string attributes = "{}") =>
        LeanplumAsync(app, "start", userId, $$""","userAttributes":{{JsonSerializer.Serialize(attributes)}}""");

    private async Task<string> PersonIdAsync(TestApp app, string userId)
    {
        using var admin = Admin();
        var (status, body) = await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/users/{userId}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("personId").GetString()!;
    }

    [Fact]
    public async Task Create_Get_List_Update_Pause_Finish()
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (status, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", "{" + Confirm + ",\"priority\":5}");
        Assert.Equal(HttpStatusCode.Created, status);
        long id = created.GetProperty("id").GetInt64();
        Assert.True(id > 0);
        Assert.Equal("Confirm", created.GetProperty("vars").GetProperty("__name__").GetString());
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.Equal(5, created.GetProperty("priority").GetInt32());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("audience").GetProperty("segmentId").ValueKind);

        var (_, fetched) = await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages/{id}");
        Assert.Equal("Upgrade", fetched.GetProperty("name").GetString());
        Assert.Equal("triggers", fetched.GetProperty("whenTriggers").GetProperty("children")[0].GetProperty("verb").GetString());

        var (updateStatus, updated) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/messages/{id}", "{" + Confirm.Replace("\"Upgrade\"", "\"Upgrade v2\"", StringComparison.Ordinal) + "}");
        Assert.Equal(HttpStatusCode.OK, updateStatus);
        Assert.Equal(id, updated.GetProperty("id").GetInt64());
        Assert.Equal("Upgrade v2", updated.GetProperty("name").GetString());
        Assert.Equal(1000, updated.GetProperty("priority").GetInt32());

        var (_, paused) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{id}/pause");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        var (_, activeList) = await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages?status=active");
        Assert.Empty(activeList.GetProperty("messages").EnumerateArray());
        var (_, all) = await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages");
        Assert.Equal(id, Assert.Single(all.GetProperty("messages").EnumerateArray()).GetProperty("id").GetInt64());

        var (_, finished) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{id}/finish");
        Assert.Equal("finished", finished.GetProperty("status").GetString());
        var (resumeStatus, _) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{id}/resume");
        Assert.Equal(HttpStatusCode.Conflict, resumeStatus);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/messages/{id}", "{" + Confirm + "}")).Status);

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages/999999")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(admin, HttpMethod.Get, "/api/v1/apps/no-such-app/messages")).Status);
        using var anonymous = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(anonymous, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages")).Status);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"event","noun":"E","verb":"happens"}]}}""", "whenTriggers.children[0].verb" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"whenLimits":{"children":[{"subject":"times","noun":1,"verb":"limitYear"}]}}""", "whenLimits.children[0].verb" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"Hi {{ userAttribute.name "},"whenTriggers":{"children":[{"subject":"start"}]}}""", "vars.Message" },
        { """{"name":"x","action":"Toast","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]}}""", "action" },
        { """{"name":"","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]}}""", "name" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"}}""", "whenTriggers" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"priority":0}""", "priority" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"startTime":"2030-01-02T00:00:00Z","endTime":"2030-01-01T00:00:00Z"}""", "endTime" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"audience":{"segmentId":"no-such-segment"}}""", "audience.segmentId" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{"name":"A","weight":50},{"name":"B","weight":40}]}""", "variants" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{"name":"A","weight":100}]}""", "variants" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{"name":"A","weight":50},{"name":"A","weight":50}]}""", "variants[1].name" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"vars":{"Title":"{% if %}"}}]}""", "variants[1].vars.Title" },
        { """{"name":"x","action":"Confirm","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"vars":{"Message":null}}]}""", "variants[1].vars.Message" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_Invalid_Is400NamingTheField(string body, string field)
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (status, problem) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.StartsWith(field + ":", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_SeventeenVariants_OrBadJson_Is400()
    {
        var app = await AppAsync();
        using var admin = Admin();
        string variants = string.Join(",", Enumerable.Range(0, 17).Select(i => $$"""{"name":"V{{i}}","weight":{{(i == 0 ? 4 : 6)}}}"""));
        var (status, problem) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            $$"""{"name":"x","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"variants":[{{variants}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("variants", problem.GetProperty("field").GetString());

        var (badStatus, bad) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", """{"name":"x","priority":"high"}""");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("priority", bad.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShipsOnlyLiveMessagesToTheAudience_RenderedPerPerson()
    {
        var app = await AppAsync();
        // Both persons exist before the segment is defined.
        await StartAsync(app, "alice", """{"plan":"pro","name":"Alice"}""");
        await StartAsync(app, "bob", """{"plan":"free"}""");
        _segments.Define(app.Id, "pros", await PersonIdAsync(app, "alice"));

        using var admin = Admin();
        var (_, targeted) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", "{" + Confirm + ",\"audience\":{\"segmentId\":\"pros\"}}");
        long targetedId = targeted.GetProperty("id").GetInt64();
        var (_, everyone) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Welcome","action":"Alert","vars":{"Message":"Welcome {{ userAttribute.name | default: \"friend\" }}"},"whenTriggers":{"children":[{"subject":"start"}]},"priority":3}""");
        long everyoneId = everyone.GetProperty("id").GetInt64();
        var (_, paused) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Paused","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"status":"paused"}""");
        var (_, expired) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Expired","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"startTime":"2020-01-01T00:00:00Z","endTime":"2020-02-01T00:00:00Z"}""");
        var (_, future) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Future","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"startTime":"2099-01-01T00:00:00Z"}""");
        var (_, current) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Current","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"startTime":"2020-01-01T00:00:00Z","endTime":"2099-01-01T00:00:00Z"}""");
        long currentId = current.GetProperty("id").GetInt64();

        var alice = (await StartAsync(app, "alice"))["messages"]!.AsObject();
        var bob = (await LeanplumAsync(app, "getVars", "bob"))["messages"]!.AsObject();

        Assert.Equal(new[] { everyoneId, targetedId, currentId }.Select(Key).Order(), alice.Select(p => p.Key).Order());
        Assert.Equal(new[] { everyoneId, currentId }.Select(Key).Order(), bob.Select(p => p.Key).Order());
        Assert.DoesNotContain(Key(paused.GetProperty("id").GetInt64()), alice.Select(p => p.Key));
        Assert.DoesNotContain(Key(expired.GetProperty("id").GetInt64()), alice.Select(p => p.Key));
        Assert.DoesNotContain(Key(future.GetProperty("id").GetInt64()), alice.Select(p => p.Key));

        // Exactly Leanplum's shape, templates rendered from the person's attributes.
        var shipped = alice[Key(targetedId)]!;
        Assert.Equal("Confirm", shipped["action"]!.GetValue<string>());
        Assert.Equal(targetedId, shipped["parentCampaignId"]!.GetValue<long>());
        Assert.Equal(1000, shipped["priority"]!.GetValue<int>());
        Assert.Equal("Hi Alice", shipped["vars"]!["Title"]!.GetValue<string>());
        Assert.Equal("You are on pro", shipped["vars"]!["Message"]!.GetValue<string>());
        Assert.Equal("Confirm", shipped["vars"]!["__name__"]!.GetValue<string>());
        Assert.Equal("https://example.test/upgrade", shipped["vars"]!["Accept action"]!["URL"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"verb":"OR","children":[{"subject":"event","noun":"Purchase Clicked","verb":"triggers","objects":[]}]}"""), shipped["whenTriggers"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"verb":"AND","children":[{"subject":"times","noun":"1","verb":"limitSession","objects":[]}]}"""), shipped["whenLimits"]));
        Assert.Equal(0, shipped["startTime"]!.GetValue<long>());
        Assert.Equal(new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), alice[Key(currentId)]!["endTime"]!.GetValue<long>());
        Assert.Equal("Welcome Alice", alice[Key(everyoneId)]!["vars"]!["Message"]!.GetValue<string>());
        Assert.Equal("Welcome friend", bob[Key(everyoneId)]!["vars"]!["Message"]!.GetValue<string>());

        // Pausing stops shipping at the next start.
        await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{targetedId}/pause");
        Assert.DoesNotContain(Key(targetedId), (await StartAsync(app, "alice"))["messages"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Variants_AreDeterministicPerPerson_AndStatsCountPerVariant()
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (status, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", """
            {"name":"Test","action":"Confirm","vars":{"Message":"Control text","Accept text":"OK"},
             "whenTriggers":{"children":[{"subject":"start"}]},
             "variants":[{"name":"Control","weight":50},{"name":"B","weight":50,"vars":{"Message":"B text"}}]}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        long messageId = created.GetProperty("id").GetInt64();
        var variantIds = created.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(2, variantIds.Distinct().Count());
        Assert.DoesNotContain(messageId, variantIds);

        var seen = new Dictionary<long, int>();
        for (int i = 0; i < 12; i++)
        {
            string user = "v-user-" + i;
            var messages = (await StartAsync(app, user))["messages"]!.AsObject();
            var (key, shipped) = Assert.Single(messages);
            long sdkId = long.Parse(key, CultureInfo.InvariantCulture);
            // The arm worked out independently: SHA-256("message:<app>:<id>:" + person), first 53 bits, against the weights.
            int expectedArm = ReferenceArm($"message:{app.Id}:{messageId}", await PersonIdAsync(app, user), [50, 50]);
            Assert.Equal(variantIds[expectedArm], sdkId);
            Assert.Equal(messageId, shipped!["parentCampaignId"]!.GetValue<long>());
            Assert.Equal(expectedArm == 0 ? "Control text" : "B text", shipped["vars"]!["Message"]!.GetValue<string>());
            Assert.Equal("OK", shipped["vars"]!["Accept text"]!.GetValue<string>());
            // Sticky: the same person gets the same variant on the next start.
            Assert.Equal(key, Assert.Single((await LeanplumAsync(app, "getVars", user))["messages"]!.AsObject()).Key);
            seen[sdkId] = seen.GetValueOrDefault(sdkId) + 1;
            // Impression for everyone, Accept for the even users.
            await LeanplumAsync(app, "track", user, $$""","messageId":"{{sdkId}}" """);
            if (i % 2 == 0) await LeanplumAsync(app, "track", user, $$""","messageId":"{{sdkId}}","event":"Accept" """);
        }

        // A second impression by one person counts as an impression but not as a new viewer.
        string again = "v-user-0";
        long againId = long.Parse(Assert.Single((await StartAsync(app, again))["messages"]!.AsObject()).Key, CultureInfo.InvariantCulture);
        await LeanplumAsync(app, "track", again, $$""","messageId":"{{againId}}" """);

        var (_, stats) = await SendAsync(admin, HttpMethod.Get, $"/api/v1/apps/{app.Id}/messages/{messageId}/stats");
        var arms = stats.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(2, arms.Count);
        for (int a = 0; a < 2; a++)
        {
            var arm = arms[a];
            long id = variantIds[a];
            int persons = seen.GetValueOrDefault(id);
            int accepts = Enumerable.Range(0, 12).Count(i => i % 2 == 0 && AssignedTo(i) == id);
            Assert.Equal(id, arm.GetProperty("id").GetInt64());
            Assert.Equal(a == 0 ? "Control" : "B", arm.GetProperty("variant").GetString());
            Assert.Equal(persons + (id == againId ? 1 : 0), arm.GetProperty("impressions").GetInt64());
            Assert.Equal(persons, arm.GetProperty("viewers").GetInt64());
            long acceptEvents = arm.GetProperty("actions").TryGetProperty("Accept", out var accept) ? accept.GetProperty("events").GetInt64() : 0;
            Assert.Equal(accepts, acceptEvents);
        }

        long AssignedTo(int user) => variantIds[ReferenceArm($"message:{app.Id}:{messageId}", PersonIdAsync(app, "v-user-" + user).GetAwaiter().GetResult(), [50, 50])];
    }

    [Fact]
    public async Task LimitUser_IsEnforcedServerSide_FromStoredImpressions()
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (_, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", """
            {"name":"Twice","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "whenLimits":{"children":[{"subject":"times","noun":2,"verb":"limitUser"}]}}
            """);
        string key = Key(created.GetProperty("id").GetInt64());

        for (int shown = 0; shown < 2; shown++)
        {
            Assert.Contains(key, (await StartAsync(app, "capped"))["messages"]!.AsObject().Select(p => p.Key));
            await LeanplumAsync(app, "track", "capped", $$""","messageId":"{{key}}" """);
        }

        // Two impressions stored: the cap is reached for this person, on any device; others still get it.
        Assert.DoesNotContain(key, (await StartAsync(app, "capped"))["messages"]!.AsObject().Select(p => p.Key));
        Assert.Contains(key, (await StartAsync(app, "other"))["messages"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task LimitUser_CountsImpressionsFromBeforeALogin()
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (_, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", """
            {"name":"Once","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "whenLimits":{"children":[{"subject":"times","noun":1,"verb":"limitUser"}]}}
            """);
        string key = Key(created.GetProperty("id").GetInt64());

        // An anonymous device (the JS SDK sends userId = deviceId) sees the message once…
        using var client = _factory.CreateClient();
        async Task<JsonObject> AnonymousAsync(string action, string extra)
        {
            string body = $$"""{"appId":"{{app.Id}}","clientKey":"{{app.ProductionKey}}","action":"{{action}}","userId":"anon-dev","deviceId":"anon-dev","time":"{{Now}}"{{extra}}}""";
            var response = await client.PostAsync("/api", new StringContent(body, Encoding.UTF8, "text/plain"));
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]![0]!.AsObject();
        }

        Assert.Contains(key, (await AnonymousAsync("start", ""))["messages"]!.AsObject().Select(p => p.Key));
        Assert.True((await AnonymousAsync("track", $$""","messageId":"{{key}}" """))["success"]!.GetValue<bool>());
        Assert.DoesNotContain(key, (await AnonymousAsync("start", ""))["messages"]!.AsObject().Select(p => p.Key));

        // …then logs in on that device: the known person inherits the impression, and so the cap.
        string login = $$"""{"appId":"{{app.Id}}","clientKey":"{{app.ProductionKey}}","action":"start","userId":"known-user","deviceId":"anon-dev","time":"{{Now}}"}""";
        var answer = JsonNode.Parse(await (await client.PostAsync("/api", new StringContent(login, Encoding.UTF8, "text/plain"))).Content.ReadAsStringAsync())!["response"]![0]!;
        Assert.DoesNotContain(key, answer["messages"]!.AsObject().Select(p => p.Key));
        Assert.Contains(key, (await StartAsync(app, "someone-else"))["messages"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Variants_KeepTheirIdsOnUpdate_WhenSentBack()
    {
        var app = await AppAsync();
        using var admin = Admin();
        const string body = """
            {"name":"T","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "variants":[{"name":"A","weight":50},{"name":"B","weight":50}]}
            """;
        var (_, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages", body);
        long id = created.GetProperty("id").GetInt64();
        long a = created.GetProperty("variants")[0].GetProperty("id").GetInt64();
        var (status, updated) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/messages/{id}", $$"""
            {"name":"T","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "variants":[{"id":{{a}},"name":"A","weight":70},{"name":"C","weight":30}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(a, updated.GetProperty("variants")[0].GetProperty("id").GetInt64());
        long c = updated.GetProperty("variants")[1].GetProperty("id").GetInt64();
        Assert.NotEqual(a, c);
        Assert.NotEqual(created.GetProperty("variants")[1].GetProperty("id").GetInt64(), c);

        var (badStatus, bad) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/messages/{id}", $$"""
            {"name":"T","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},
             "variants":[{"id":123456789,"name":"A","weight":50},{"name":"B","weight":50}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("variants[0].id", bad.GetProperty("field").GetString());
    }

    [Fact]
    public async Task SegmentReferences_ListTheMessagesUsingASegment()
    {
        var app = await AppAsync();
        _segments.Define(app.Id, "seg-1");
        using var admin = Admin();
        var (_, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"Targeted","action":"Alert","vars":{"Message":"m"},"whenTriggers":{"children":[{"subject":"start"}]},"audience":{"segmentId":"seg-1"}}""");
        var sources = _factory.Services.GetServices<ISegmentReferenceSource>().ToList();
        var references = new List<SegmentReference>();
        foreach (var source in sources) references.AddRange(await source.FindReferencesAsync(app.Id, "seg-1"));
        var reference = Assert.Single(references, r => r.Kind == "message");
        Assert.Equal(created.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), reference.Id);
        Assert.Equal("Targeted", reference.Name);
        foreach (var source in sources) Assert.Empty(await source.FindReferencesAsync(app.Id, "other"));

        // A finished message is never shipped again: it no longer holds the segment.
        await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{reference.Id}/finish");
        foreach (var source in sources) Assert.DoesNotContain(await source.FindReferencesAsync(app.Id, "seg-1"), r => r.Kind == "message");
    }

    [Fact]
    public async Task ChainedMessages_MustExist_AndPointAtWhatThePersonGets()
    {
        var app = await AppAsync();
        using var admin = Admin();
        var (badStatus, bad) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """{"name":"A","action":"Confirm","vars":{"Message":"m","Accept action":{"__name__":"Chain to Existing Message","Chained message":"987654"}},"whenTriggers":{"children":[{"subject":"start"}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("vars.Accept action.Chained message", bad.GetProperty("field").GetString());

        var (_, second) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            """
            {"name":"B","action":"Alert","vars":{"Message":"second"},"whenTriggers":{"children":[{"subject":"event","noun":"Never","verb":"triggers"}]},
             "variants":[{"name":"B1","weight":50},{"name":"B2","weight":50}]}
            """);
        long secondId = second.GetProperty("id").GetInt64();
        var (status, first) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages",
            $$$"""{"name":"A","action":"Confirm","vars":{"Message":"m","Accept action":{"__name__":"Chain to Existing Message","Chained message":"{{{secondId}}}"}},"whenTriggers":{"children":[{"subject":"start"}]}}""");
        Assert.Equal(HttpStatusCode.Created, status);
        string firstKey = Key(first.GetProperty("id").GetInt64());

        // The chain names the variant of B this person has (a key of the same messages object).
        var messages = (await StartAsync(app, "chainer"))["messages"]!.AsObject();
        string chained = messages[firstKey]!["vars"]!["Accept action"]!["Chained message"]!.GetValue<string>();
        Assert.Contains(chained, messages.Select(p => p.Key));
        Assert.Equal(secondId, messages[chained]!["parentCampaignId"]!.GetValue<long>());

        // With B paused the person does not get it, so the chain is dropped rather than left dangling.
        await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/messages/{secondId}/pause");
        var after = (await StartAsync(app, "chainer"))["messages"]!.AsObject();
        Assert.Single(after);
        Assert.Null(after[firstKey]!["vars"]!["Accept action"]);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheMessagesEndpoints()
    {
        using var client = _factory.CreateClient();
        string document = await client.GetStringAsync("/openapi/v1.json");
        foreach (string path in new[] { "", "/{messageId}", "/{messageId}/pause", "/{messageId}/resume", "/{messageId}/finish", "/{messageId}/stats" })
            Assert.Contains($"\"/api/v1/apps/{{appId}}/messages{path}\"", document, StringComparison.Ordinal);
        foreach (string operation in new[] { "CreateMessage", "ListMessages", "GetMessage", "UpdateMessage", "PauseMessage", "ResumeMessage", "FinishMessage", "GetMessageStats" })
            Assert.Contains($"\"operationId\": \"{operation}\"", document, StringComparison.Ordinal);
    }

    private static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static int ReferenceArm(string seed, string personId, double[] weights)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed + ":" + personId));
        ulong bits = 0;
        for (int i = 0; i < 8; i++) bits = (bits << 8) | hash[i];
        double point = (bits >> 11) / 9007199254740992.0 * weights.Sum();
        double upper = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            upper += weights[i];
            if (point < upper) return i;
        }

        return weights.Length - 1;
    }
}
