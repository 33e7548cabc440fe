using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Segment;

public sealed class SegmentApiTests : IAsyncLifetime
{
    // Its own data directory (not the factory's): a test restarts the host on it after disposing the factory.
    private readonly LodestarFactory _factory = new(LodestarFactory.NewDataDir());
    private TestApp _app = null!;
    private HttpClient _segment = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = await _factory.CreateAppAsync();
        _segment = _factory.CreateSegmentClient(_app.WriteKey);
        _admin = _factory.CreateAdminClient();
    }

    public Task DisposeAsync()
    {
        _segment.Dispose();
        _admin.Dispose();
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<JsonElement> EventsOf(string userId, int limit = 100)
    {
        var response = await _admin.GetAsync($"/api/v1/apps/{_app.Id}/users/{userId}/events?limit={limit}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("events");
    }

    private async Task<JsonElement> ProfileOf(string userId)
    {
        var response = await _admin.GetAsync($"/api/v1/apps/{_app.Id}/users/{userId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task Track_IsStoredWithNameValuePropertiesAndContext()
    {
        var response = await _segment.PostJsonAsync("/v1/track", """
            {"userId":"u1","event":"Purchase","properties":{"revenue":12.5,"sku":"hat"},
             "context":{"os":{"name":"Android","version":"14"},"app":{"version":"3.1.0"},"locale":"de-DE","timezone":"Europe/Berlin","ip":"10.0.0.1",
                        "device":{"id":"d-1","model":"Pixel 8","manufacturer":"Google","type":"android","token":"fcm-token-1"},
                        "campaign":{"source":"newsletter","medium":"email"},"location":{"country":"DE","city":"Berlin"}}}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("success").GetBoolean());

        var e = Assert.Single((await EventsOf("u1")).EnumerateArray());
        Assert.Equal("Purchase", e.GetProperty("name").GetString());
        Assert.Equal(12.5, e.GetProperty("value").GetDouble());
        Assert.Equal("hat", e.GetProperty("properties").GetProperty("sku").GetString());
        Assert.Equal("Europe/Berlin", e.GetProperty("context").GetProperty("timezone").GetString());

        var profile = await ProfileOf("u1");
        var device = Assert.Single(profile.GetProperty("devices").EnumerateArray());
        Assert.Equal("Pixel 8", device.GetProperty("model").GetString());
        Assert.Equal("Android", device.GetProperty("osName").GetString());
        Assert.Equal("3.1.0", device.GetProperty("appVersion").GetString());
        Assert.Equal("fcm-token-1", device.GetProperty("pushTokens").GetProperty("android").GetString());
        Assert.Equal("de-DE", profile.GetProperty("locale").GetString());
        Assert.Equal("Europe/Berlin", profile.GetProperty("timezone").GetString());
        Assert.Equal("DE", profile.GetProperty("location").GetProperty("country").GetString());
        Assert.Equal("10.0.0.1", profile.GetProperty("location").GetProperty("ip").GetString());
        Assert.Equal("newsletter", profile.GetProperty("campaign").GetProperty("source").GetString());
        Assert.Equal(1, profile.GetProperty("sessions").GetInt32());
    }

    [Fact]
    public async Task SameMessageId_IsStoredOnce()
    {
        const string body = """{"anonymousId":"a1","event":"Open","messageId":"msg-1"}""";
        Assert.Equal(HttpStatusCode.OK, (await _segment.PostJsonAsync("/v1/track", body)).StatusCode);
        var resend = await (await _segment.PostJsonAsync("/v1/track", body)).JsonAsync();
        Assert.Equal(1, resend.GetProperty("duplicates").GetInt32());
        var batch = await (await _segment.PostJsonAsync("/v1/batch", """
            {"batch":[{"type":"track","anonymousId":"a1","event":"Open","messageId":"msg-1"},
                      {"type":"track","anonymousId":"a1","event":"Open","messageId":"msg-2"},
                      {"type":"track","anonymousId":"a1","event":"Open","messageId":"msg-2"}]}
            """)).JsonAsync();
        Assert.Equal(2, batch.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, (await EventsOf("a1")).GetArrayLength());
    }

    [Fact]
    public async Task SentAt_CorrectsClientClockSkew()
    {
        // The client's clock is 1 hour fast: it says the event happened 10 s before it was sent.
        var clientNow = DateTimeOffset.UtcNow.AddHours(1);
        string body = $$"""
            {"userId":"skewed","event":"Tap","timestamp":"{{clientNow.AddSeconds(-10):O}}","sentAt":"{{clientNow:O}}"}
            """;
        var before = DateTimeOffset.UtcNow;
        await _segment.PostJsonAsync("/v1/track", body);
        var after = DateTimeOffset.UtcNow;
        var time = (await EventsOf("skewed"))[0].GetProperty("time").GetDateTimeOffset();
        Assert.InRange(time, before.AddSeconds(-10).AddMilliseconds(-5), after.AddSeconds(-10).AddMilliseconds(5));
    }

    [Fact]
    public async Task Timestamp_WithoutSentAt_IsKept()
    {
        await _segment.PostJsonAsync("/v1/track", """{"userId":"hist","event":"Old","timestamp":"2025-03-01T08:30:00.250Z"}""");
        var time = (await EventsOf("hist"))[0].GetProperty("time").GetDateTimeOffset();
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 8, 30, 0, 250, TimeSpan.Zero), time);
    }

    [Fact]
    public async Task Identify_MergesAnonymousHistoryAndAttributes_KnownPersonWins()
    {
        await _segment.PostJsonAsync("/v1/identify", """{"userId":"known","traits":{"plan":"pro","email":"k@example.test"}}""");
        await _segment.PostJsonAsync("/v1/track", """{"userId":"known","event":"Login"}""");
        await _segment.PostJsonAsync("/v1/identify", """{"anonymousId":"anon-x","traits":{"plan":"free","color":"red"}}""");
        await _segment.PostJsonAsync("/v1/track", """{"anonymousId":"anon-x","event":"Browse"}""");
        await _segment.PostJsonAsync("/v1/track", """{"anonymousId":"anon-x","event":"Add To Cart"}""");

        await _segment.PostJsonAsync("/v1/identify", """{"userId":"known","anonymousId":"anon-x"}""");
        // Later events from the old id land on the person.
        await _segment.PostJsonAsync("/v1/track", """{"anonymousId":"anon-x","event":"Checkout"}""");

        var names = (await EventsOf("known")).EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "Login", "Browse", "Add To Cart", "Checkout" }, names);

        var byAnonymous = await ProfileOf("anon-x");
        var byUser = await ProfileOf("known");
        Assert.Equal(byUser.GetProperty("personId").GetString(), byAnonymous.GetProperty("personId").GetString());
        Assert.Equal("known", byAnonymous.GetProperty("userId").GetString());
        var attributes = byUser.GetProperty("attributes");
        Assert.Equal("pro", attributes.GetProperty("plan").GetString());
        Assert.Equal("red", attributes.GetProperty("color").GetString());
        Assert.Equal("k@example.test", attributes.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Alias_MergesPreviousIdIntoUser()
    {
        await _segment.PostJsonAsync("/v1/track", """{"anonymousId":"guest-7","event":"Landing"}""");
        await _segment.PostJsonAsync("/v1/track", """{"userId":"member-7","event":"Signed In"}""");
        var alias = await _segment.PostJsonAsync("/v1/alias", """{"previousId":"guest-7","userId":"member-7"}""");
        Assert.Equal(HttpStatusCode.OK, alias.StatusCode);
        var names = (await EventsOf("member-7")).EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["Landing", "Signed In"], names);
        Assert.Equal((await ProfileOf("guest-7")).GetProperty("personId").GetString(), (await ProfileOf("member-7")).GetProperty("personId").GetString());
    }

    [Fact]
    public async Task IdentifyTraits_AreTyped()
    {
        await _segment.PostJsonAsync("/v1/identify", """
            {"userId":"typed","traits":{"name":"Ada","age":36,"vip":true,"signedUpAt":"2024-02-03T04:05:06Z","tags":["a","b"]}}
            """);
        var types = (await ProfileOf("typed")).GetProperty("attributeTypes");
        Assert.Equal("string", types.GetProperty("name").GetString());
        Assert.Equal("number", types.GetProperty("age").GetString());
        Assert.Equal("boolean", types.GetProperty("vip").GetString());
        Assert.Equal("datetime", types.GetProperty("signedUpAt").GetString());
        Assert.Equal("list", types.GetProperty("tags").GetString());
    }

    [Fact]
    public async Task PageScreenGroup_AreAccepted()
    {
        var page = await _segment.PostJsonAsync("/v1/page", """{"userId":"p","name":"Home","properties":{"path":"/"}}""");
        Assert.True(page.StatusCode == HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await _segment.PostJsonAsync("/v1/screen", """{"userId":"p","name":"Settings"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _segment.PostJsonAsync("/v1/group", """{"userId":"p","groupId":"acme","traits":{"plan":"team"}}""")).StatusCode);
        var events = (await EventsOf("p")).EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("name").GetString())).ToHashSet();
        Assert.Contains(("page", "Home"), events);
        Assert.Contains(("screen", "Settings"), events);
        var groups = (await ProfileOf("p")).GetProperty("attributes").GetProperty("groups");
        Assert.Equal("acme", groups[0].GetString());
    }

    [Fact]
    public async Task WriteKeyInBody_IsAccepted_WrongOrMissingKeyIs401()
    {
        using var anonymous = _factory.CreateClient();
        var ok = await anonymous.PostJsonAsync("/v1/track", $$"""{"writeKey":"{{_app.WriteKey}}","userId":"b","event":"E"}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJsonAsync("/v1/track", """{"userId":"b","event":"E"}""")).StatusCode);
        // Another kind of key of the same app is not a write key.
        var wrongKind = await anonymous.PostJsonAsync("/v1/track", $$"""{"writeKey":"{{_app.ProductionKey}}","userId":"b","event":"E"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKind.StatusCode);
    }

    [Fact]
    public async Task Batch_WriteKeyInBody_IsAccepted_WrongOrMissingKeyIs401()
    {
        using var anonymous = _factory.CreateClient();
        string Batch(string key) => $$"""{"writeKey":"{{key}}","batch":[{"type":"track","userId":"bk","event":"E","messageId":"bk-1"}]}""";
        var ok = await (await anonymous.PostJsonAsync("/v1/batch", Batch(_app.WriteKey))).JsonAsync();
        Assert.Equal(1, ok.GetProperty("accepted").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJsonAsync("/v1/batch", Batch(_app.ProductionKey))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJsonAsync("/v1/batch", """{"batch":[{"type":"track","userId":"bk","event":"E"}]}""")).StatusCode);
        Assert.Equal(1, (await EventsOf("bk")).GetArrayLength());
    }

    [Fact]
    public async Task AppKey_NeverReachesAnotherAppsData()
    {
        var other = await _factory.CreateAppAsync("Other");
        using var otherSegment = _factory.CreateSegmentClient(other.WriteKey);
        await otherSegment.PostJsonAsync("/v1/track", """{"userId":"shared-id","event":"OtherAppEvent"}""");
        await _segment.PostJsonAsync("/v1/track", """{"userId":"shared-id","event":"MyEvent"}""");
        var mine = (await EventsOf("shared-id")).EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(["MyEvent"], mine);
    }

    [Theory]
    [InlineData("{\"userId\":\"u\",\"event\":", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("{\"event\":\"E\"}", "userId or anonymousId is required")]
    [InlineData("{\"userId\":\"u\"}", "event is required")]
    [InlineData("{\"userId\":{\"a\":1},\"event\":\"E\"}", "userId must be a string or a number")]
    [InlineData("{\"userId\":\"u\",\"event\":\"E\",\"properties\":[1]}", "properties must be a JSON object")]
    [InlineData("{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"yesterday\"}", "timestamp must be an ISO-8601")]
    [InlineData("{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"1970-01-01T00:00:00Z\"}", "older than the accepted window")]
    [InlineData("{\"userId\":\"u\",\"event\":\"E\",\"timestamp\":\"2999-01-01T00:00:00Z\"}", "in the future")]
    [InlineData("{\"userId\":\"u\",\"event\":\"bad\\ud800\"}", "not a valid surrogate pair")]
    [InlineData("{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"k\":\"\\udc00\"}}", "not a valid surrogate pair")]
    public async Task BadMessage_Is400ProblemSayingWhatWasWrong(string body, string expected)
    {
        var response = await _segment.PostJsonAsync("/v1/track", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TooManyOrTooLongPropertyNames_Are400()
    {
        string many = "{" + string.Join(",", Enumerable.Range(0, 501).Select(i => $"\"p{i}\":1")) + "}";
        var tooMany = await _segment.PostJsonAsync("/v1/track", "{\"userId\":\"u\",\"event\":\"E\",\"properties\":" + many + "}");
        Assert.Contains("more than 500", (await tooMany.JsonAsync()).GetProperty("detail").GetString());

        string longName = new('x', 300);
        var tooLong = await _segment.PostJsonAsync("/v1/track", $$$"""{"userId":"u","event":"E","properties":{"{{{longName}}}":1}}""");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("longer than 255", (await tooLong.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task OversizedMessageAndBatch_Are400_WithTheLimit()
    {
        string big = new('x', 33 * 1024);
        var message = await _segment.PostJsonAsync("/v1/track", $$$"""{"userId":"u","event":"E","properties":{"blob":"{{{big}}}"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, message.StatusCode);
        Assert.Contains("32 KB", (await message.JsonAsync()).GetProperty("detail").GetString());

        string item = $$$"""{"type":"track","userId":"u","event":"E","properties":{"blob":"{{{new string('y', 20 * 1024)}}}"}}""";
        var batch = await _segment.PostJsonAsync("/v1/batch", "{\"batch\":[" + string.Join(",", Enumerable.Repeat(item, 30)) + "]}");
        Assert.Equal(HttpStatusCode.BadRequest, batch.StatusCode);
        Assert.Contains("500 KB", (await batch.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Batch_WithBadMessages_StoresTheValidOnes_AndSaysWhichWereRejected()
    {
        string oversized = $$$"""{"type":"track","userId":"mixed","event":"Huge","properties":{"blob":"{{{new string('z', 33 * 1024)}}}"}}""";
        var response = await _segment.PostJsonAsync("/v1/batch", $$$"""
            {"sentAt":"{{{DateTimeOffset.UtcNow:O}}}","batch":[
              {"type":"track","userId":"mixed","event":"Good 1","messageId":"g1"},
              {"type":"track","event":"No ids","messageId":"bad1"},
              {"type":"wrong","userId":"mixed"},
              {{{oversized}}},
              {"type":"identify","userId":"mixed","traits":{"tier":"gold"}},
              {"type":"track","userId":"mixed","event":"Good 2"}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal(3, problem.GetProperty("accepted").GetInt32());
        var rejected = problem.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], rejected.Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal("bad1", rejected[0].GetProperty("messageId").GetString());
        Assert.Contains("batch[1].userId or batch[1].anonymousId is required", rejected[0].GetProperty("error").GetString());
        Assert.Contains("'wrong'", rejected[1].GetProperty("error").GetString());
        Assert.Contains("32 KB", rejected[2].GetProperty("error").GetString());

        var names = (await EventsOf("mixed")).EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["Good 1", "Good 2"], names);
        Assert.Equal("gold", (await ProfileOf("mixed")).GetProperty("attributes").GetProperty("tier").GetString());
    }

    [Fact]
    public async Task Batch_SharedContext_AppliesToMessagesWithoutTheirOwn()
    {
        await _segment.PostJsonAsync("/v1/batch", """
            {"context":{"timezone":"Asia/Tokyo"},"batch":[{"type":"track","userId":"ctx","event":"E"}]}
            """);
        Assert.Equal("Asia/Tokyo", (await ProfileOf("ctx")).GetProperty("timezone").GetString());
    }

    [Fact]
    public async Task GzipBody_IsAccepted()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("""{"userId":"gz","event":"Zipped"}"""u8);
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.OK, (await _segment.PostAsync("/v1/track", content)).StatusCode);
        Assert.Equal("Zipped", (await EventsOf("gz"))[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Sessions_CountByThirtyMinuteInactivity()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        string At(int minutes) => start.AddMinutes(minutes).ToString("O");
        await _segment.PostJsonAsync("/v1/batch", $$"""
            {"batch":[{"type":"track","userId":"s","event":"A","timestamp":"{{At(0)}}"},
                      {"type":"track","userId":"s","event":"B","timestamp":"{{At(20)}}"},
                      {"type":"track","userId":"s","event":"C","timestamp":"{{At(45)}}"},
                      {"type":"track","userId":"s","event":"D","timestamp":"{{At(90)}}"}]}
            """);
        var profile = await ProfileOf("s");
        Assert.Equal(2, profile.GetProperty("sessions").GetInt32());
        Assert.Equal(start.AddMinutes(90), profile.GetProperty("lastActive").GetDateTimeOffset());
        Assert.Equal(start, profile.GetProperty("firstSeen").GetDateTimeOffset());
    }

    [Fact]
    public async Task TheDeduplicationCap_ForgetsTheOldestIdsFirst()
    {
        // A cap of 16 ids: generations of 2, so at most 16 of the newest ids are remembered.
        using var capped = new LodestarFactory(settings: new Dictionary<string, string?> { ["Lodestar:Ingestion:DeduplicationMaxIds"] = "16" });
        var app = await capped.CreateAppAsync();
        using var segment = capped.CreateSegmentClient(app.WriteKey);
        async Task<int> Duplicates(string messageId) =>
            (await (await segment.PostJsonAsync("/v1/track", $$"""{"anonymousId":"cap","event":"E","messageId":"{{messageId}}"}""")).JsonAsync())
                .GetProperty("duplicates").GetInt32();

        for (int i = 0; i < 40; i++) Assert.Equal(0, await Duplicates($"cap-{i}"));
        // The newest ids are still remembered; the first ones were forgotten, so a resend of one is stored again.
        Assert.Equal(1, await Duplicates("cap-39"));
        Assert.Equal(1, await Duplicates("cap-30"));
        Assert.Equal(0, await Duplicates("cap-0"));
    }

    [Fact]
    public async Task UnknownUser_Is404_AndEventsLimitIsValidated()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/v1/apps/{_app.Id}/users/nobody")).StatusCode);
        await _segment.PostJsonAsync("/v1/track", """{"userId":"lim","event":"E"}""");
        Assert.Equal(HttpStatusCode.BadRequest, (await _admin.GetAsync($"/api/v1/apps/{_app.Id}/users/lim/events?limit=0")).StatusCode);
    }

    [Fact]
    public async Task EventsAndProfiles_SurviveRestart()
    {
        await _segment.PostJsonAsync("/v1/identify", """{"userId":"r","anonymousId":"r-anon","traits":{"k":"v"}}""");
        await _segment.PostJsonAsync("/v1/track", """{"anonymousId":"r-anon","event":"Before restart","messageId":"restart-1"}""");
        _segment.Dispose();
        _admin.Dispose();
        _factory.Dispose();

        using var restarted = new LodestarFactory(_factory.DataDir);
        using var admin = restarted.CreateAdminClient();
        using var segment = restarted.CreateSegmentClient(_app.WriteKey);
        // The de-duplication memory survives the restart too.
        var resend = await (await segment.PostJsonAsync("/v1/track", """{"anonymousId":"r-anon","event":"Before restart","messageId":"restart-1"}""")).JsonAsync();
        Assert.Equal(1, resend.GetProperty("duplicates").GetInt32());
        var events = await (await admin.GetAsync($"/api/v1/apps/{_app.Id}/users/r/events")).JsonAsync();
        Assert.Equal("Before restart", Assert.Single(events.GetProperty("events").EnumerateArray()).GetProperty("name").GetString());
        var profile = await (await admin.GetAsync($"/api/v1/apps/{_app.Id}/users/r-anon")).JsonAsync();
        Assert.Equal("v", profile.GetProperty("attributes").GetProperty("k").GetString());
    }
}
