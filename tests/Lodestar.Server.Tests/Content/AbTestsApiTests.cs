using System.Net;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Content;

/// <summary><c>/api/v1/apps/{appId}/ab-tests</c> and what the SDK calls get from running, paused and finished tests.</summary>
public sealed class AbTestsApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new(services: s => s.AddSingleton<ISegmentAudience, VipSegments>());

    public void Dispose() => _factory.Dispose();

    private HttpClient Admin() => _factory.CreateAdminClient();

    private static async Task<TestApp> AppAsync(HttpClient admin)
    {
        var app = await LodestarFactory.CreateAppAsync(admin, "ab");
        var defaults = await admin.PutAsync($"/api/v1/apps/{app.Id}/variables", new StringContent("""{"defaults":{"greeting":"Hello","color":"blue"}}"""));
        Assert.Equal(HttpStatusCode.OK, defaults.StatusCode);
        return app;
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient admin, HttpMethod method, string url, string? body = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body) };
        var response = await admin.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string Test(string name, double control, double b, string audience = """{"segmentId":null,"trafficPercent":100}""", string bValues = """{"greeting":"Hola"}""") =>
        $$$"""{"name":"{{{name}}}","audience":{{{audience}}},"variants":[{"name":"Control","weight":{{{control}}},"values":{}},{"name":"B","weight":{{{b}}},"values":{{{bValues}}}}],"status":"running"}""";

    private static async Task<JsonNode> CreateAsync(HttpClient admin, TestApp app, string body)
    {
        var (status, created) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests", body);
        Assert.True(status == HttpStatusCode.Created, created.ToJsonString());
        return created;
    }

    private static long VariantId(JsonNode test, string name) =>
        test["variants"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<long>();

    [Theory]
    [InlineData("""{"name":"t","variants":[{"name":"Control","weight":50,"values":{}},{"name":"B","weight":40,"values":{}}]}""", "variants", "sum to 100")]
    [InlineData("""{"name":"t","variants":[{"name":"Control","weight":100,"values":{}}]}""", "variants", "at least one variant")]
    [InlineData("""{"name":"t","audience":{"segmentId":"no-such-segment"},"variants":[{"name":"Control","weight":50},{"name":"B","weight":50}]}""", "audience.segmentId", "no segment 'no-such-segment'")]
    [InlineData("""{"name":"t","audience":{"trafficPercent":120},"variants":[{"name":"Control","weight":50},{"name":"B","weight":50}]}""", "audience.trafficPercent", "between 0 and 100")]
    [InlineData("""{"name":"","variants":[{"name":"Control","weight":50},{"name":"B","weight":50}]}""", "name", "required")]
    [InlineData("""{"name":"t","variants":[{"name":"Control","weight":50},{"name":"B","weight":50,"values":"Hola"}]}""", "variants[1].values", "JSON object")]
    [InlineData("""{"name":"t","variants":[{"name":"Control","weight":50},{"name":"B","weight":-5}]}""", "variants[1].weight", "0 to 100")]
    [InlineData("""{"name":"t","status":"sideways","variants":[{"name":"Control","weight":50},{"name":"B","weight":50}]}""", "status", "sideways")]
    public async Task Create_Invalid_Is400NamingTheField(string body, string field, string message)
    {
        using var admin = Admin();
        var app = await AppAsync(admin);
        var (status, problem) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.Contains(message, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_SeventeenArms_Is400_SixteenAreAccepted()
    {
        using var admin = Admin();
        var app = await AppAsync(admin);
        string Arms(int n) => "[" + string.Join(",", Enumerable.Range(0, n).Select(i => $$"""{"name":"v{{i}}","weight":{{(i == 0 ? 100 - (n - 1) * 5 : 5)}}}""")) + "]";
        var (tooMany, problem) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests", $$"""{"name":"t","variants":{{Arms(17)}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Equal("variants", problem["field"]!.GetValue<string>());
        Assert.Contains("at most 16 arms", problem["detail"]!.GetValue<string>());
        var created = await CreateAsync(admin, app, $$"""{"name":"t","variants":{{Arms(16)}}}""");
        Assert.Equal(16, created["variants"]!.AsArray().Count);
        Assert.True(created["variants"]![0]!["control"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RunningTest_AssignsStickily_ServesVariantValues_RecordsExposures_AndWeightChangesSpareAssignedPersons()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);
        var test = await CreateAsync(admin, app, Test("greeting", 50, 50));
        string testId = test["id"]!.GetValue<string>();
        long control = VariantId(test, "Control"), b = VariantId(test, "B");
        Assert.Equal("running", test["status"]!.GetValue<string>());

        var seen = new Dictionary<string, long>();
        for (int i = 0; i < 40; i++)
        {
            var answer = await new LeanplumDevice(client, app, $"dev-{i}", $"user-{i}").StartAsync();
            long variant = Assert.Single(LeanplumDevice.VariantIds(answer));
            Assert.Contains(variant, new[] { control, b });
            Assert.Equal(variant == b ? """{"greeting":"Hola"}""" : "{}", answer["vars"]!.ToJsonString());
            seen[$"user-{i}"] = variant;
        }

        Assert.Contains(control, seen.Values);
        Assert.Contains(b, seen.Values);

        // Sticky across devices and calls: the same user on a new device gets the same variant.
        foreach (int i in new[] { 0, 1, 2, 3 })
        {
            var other = new LeanplumDevice(client, app, $"second-{i}", $"user-{i}");
            Assert.Equal([seen[$"user-{i}"]], LeanplumDevice.VariantIds(await other.StartAsync()));
            Assert.Equal([seen[$"user-{i}"]], LeanplumDevice.VariantIds(await other.GetVarsAsync()));
        }

        var counted = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/ab-tests/{testId}"))!;
        Assert.Equal(seen.Values.Count(v => v == control), counted["variants"]![0]!["persons"]!.GetValue<long>());
        Assert.Equal(seen.Values.Count(v => v == b), counted["variants"]![1]!["persons"]!.GetValue<long>());

        // Every first exposure is an event the results endpoint analyses: one exposed person per assignment.
        var users = await ExposedAsync(admin, app, testId, control, b, seen.Count);
        Assert.Equal(seen.Values.Count(v => v == control), users[control]);
        Assert.Equal(seen.Values.Count(v => v == b), users[b]);

        // All weight to B: persons already assigned keep their variant, new persons all go to B.
        var (status, updated) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}",
            $$$"""{"variants":[{"id":{{{control}}},"name":"Control","weight":0,"values":{}},{"id":{{{b}}},"name":"B","weight":100,"values":{"greeting":"Hola"}}]}""");
        Assert.True(status == HttpStatusCode.OK, updated.ToJsonString());
        foreach (var (user, variant) in seen.Take(10))
            Assert.Equal([variant], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "third-" + user, user).StartAsync()));
        for (int i = 0; i < 10; i++)
            Assert.Equal([b], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, $"new-dev-{i}", $"new-user-{i}").StartAsync()));
    }

    private static async Task<Dictionary<long, long>> ExposedAsync(HttpClient admin, TestApp app, string testId, long control, long b, int total)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/{testId}/results?metric=conversion&event=Purchase&window=7d&engine=frequentist&variants={control},{b}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var arms = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["arms"]!.AsArray();
                var users = arms.ToDictionary(a => long.Parse(a!["variantId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                    a => (long)a!["row"]!["users"]!.GetValue<double>());
                if (users.Values.Sum() >= total || DateTime.UtcNow > deadline) return users;
            }
            else if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"results: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Pause_ServesTheControlAndKeepsAssignments_Finish_RollsTheWinnerOutToEveryone()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);
        var test = await CreateAsync(admin, app, Test("all-b", 0, 100));
        string testId = test["id"]!.GetValue<string>();
        long b = VariantId(test, "B");
        var device = new LeanplumDevice(client, app, "dev", "user");
        Assert.Equal([b], LeanplumDevice.VariantIds(await device.StartAsync()));

        var (paused, pausedBody) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests/{testId}/pause");
        Assert.Equal(HttpStatusCode.OK, paused);
        Assert.Equal("paused", pausedBody["status"]!.GetValue<string>());
        Assert.Equal(1, pausedBody["variants"]![1]!["persons"]!.GetValue<long>());
        var whilePaused = await device.StartAsync();
        Assert.Equal("{}", whilePaused["vars"]!.ToJsonString());
        Assert.Empty(LeanplumDevice.VariantIds(whilePaused));
        // Nobody new enters while paused.
        Assert.Empty(LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "late-dev", "late").StartAsync()));

        // Give the control all the weight, then resume: the assigned person is back in B, the late one goes to the control.
        long control = VariantId(test, "Control");
        await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}",
            $$$"""{"variants":[{"id":{{{control}}},"name":"Control","weight":100},{"id":{{{b}}},"name":"B","weight":0,"values":{"greeting":"Hola"}}]}""");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests/{testId}/resume")).Status);
        var resumed = await device.GetVarsAsync();
        Assert.Equal([b], LeanplumDevice.VariantIds(resumed));
        Assert.Equal("""{"greeting":"Hola"}""", resumed["vars"]!.ToJsonString());
        Assert.Equal([control], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "late-dev", "late").StartAsync()));

        var (badFinish, problem) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests/{testId}/finish", """{"winnerVariantId":1234567}""");
        Assert.Equal(HttpStatusCode.BadRequest, badFinish);
        Assert.Equal("winnerVariantId", problem["field"]!.GetValue<string>());

        var (finished, finishedBody) = await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests/{testId}/finish", $$"""{"winnerVariantId":{{b}}}""");
        Assert.Equal(HttpStatusCode.OK, finished);
        Assert.Equal("finished", finishedBody["status"]!.GetValue<string>());
        foreach (var someone in new[] { device, new LeanplumDevice(client, app, "late-dev", "late"), new LeanplumDevice(client, app, "brand-new") })
        {
            var answer = await someone.StartAsync();
            Assert.Equal("""{"greeting":"Hola"}""", answer["vars"]!.ToJsonString());
            Assert.Empty(LeanplumDevice.VariantIds(answer));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(admin, HttpMethod.Post, $"/api/v1/apps/{app.Id}/ab-tests/{testId}/resume")).Status);
        var list = JsonNode.Parse(await admin.GetStringAsync($"/api/v1/apps/{app.Id}/ab-tests"))!["abTests"]!.AsArray();
        Assert.Equal(testId, Assert.Single(list)!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Audience_SegmentAndTraffic_DecideWhoEnters_AndTheSegmentReportsItsUse()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);
        var test = await CreateAsync(admin, app, Test("vip only", 0, 100, """{"segmentId":"vip","trafficPercent":100}"""));
        long b = VariantId(test, "B");
        Assert.Equal([b], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "d1", "vip-anna").StartAsync()));
        var outsider = await new LeanplumDevice(client, app, "d2", "bob").StartAsync();
        Assert.Empty(LeanplumDevice.VariantIds(outsider));
        Assert.Equal("{}", outsider["vars"]!.ToJsonString());

        var references = await _factory.Services.GetServices<ISegmentReferenceSource>()
            .ToAsyncEnumerable().SelectMany(s => s.FindReferencesAsync(app.Id, "vip").AsTask().Result.ToAsyncEnumerable()).ToListAsync();
        Assert.Equal(("abTest", test["id"]!.GetValue<string>(), "vip only"), (references.Single().Kind, references.Single().Id, references.Single().Name));

        // Updating the traffic keeps the segment; "" targets everyone again, and Bob enters.
        string testId = test["id"]!.GetValue<string>();
        var (_, kept) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}", """{"audience":{"trafficPercent":100}}""");
        Assert.Equal("vip", kept["audience"]!["segmentId"]!.GetValue<string>());
        var (_, everyone) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}", """{"audience":{"segmentId":""}}""");
        Assert.Null(everyone["audience"]!["segmentId"]);
        Assert.Equal([b], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "d2", "bob").StartAsync()));

        // No traffic: nobody enters.
        var closed = await CreateAsync(admin, app, Test("closed", 0, 100, """{"segmentId":null,"trafficPercent":0}""", """{"color":"red"}"""));
        for (int i = 0; i < 5; i++)
            Assert.DoesNotContain(VariantId(closed, "B"), LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, $"t{i}", $"traffic-{i}").StartAsync()));
    }

    [Fact]
    public async Task Update_DeletingAVariant_DrawsItsPersonsAgain()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);
        var test = await CreateAsync(admin, app, Test("delete b", 0, 100));
        string testId = test["id"]!.GetValue<string>();
        long control = VariantId(test, "Control"), b = VariantId(test, "B");
        var device = new LeanplumDevice(client, app, "dev", "user");
        Assert.Equal([b], LeanplumDevice.VariantIds(await device.StartAsync()));

        var (status, updated) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}",
            "{\"variants\":[{\"id\":" + control + ",\"name\":\"Control\",\"weight\":100},{\"name\":\"C\",\"weight\":0,\"values\":{\"color\":\"red\"}}]}");
        Assert.True(status == HttpStatusCode.OK, updated.ToJsonString());
        Assert.Equal(["Control", "C"], updated["variants"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));
        Assert.Equal(0, updated["variants"]![0]!["persons"]!.GetValue<long>());
        Assert.Equal([control], LeanplumDevice.VariantIds(await device.StartAsync()));

        var (unknown, problem) = await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{testId}",
            "{\"variants\":[{\"id\":" + b + ",\"name\":\"Control\",\"weight\":100},{\"name\":\"C\",\"weight\":0}]}");
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Equal("variants[0].id", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Assignments_SurviveARestart()
    {
        string dataDir = LodestarFactory.NewDataDir();
        TestApp app;
        long b;
        using (var first = new LodestarFactory(dataDir))
        {
            using var admin = first.CreateAdminClient();
            app = await AppAsync(admin);
            var test = await CreateAsync(admin, app, Test("restart", 0, 100));
            b = VariantId(test, "B");
            using var client = first.CreateClient();
            Assert.Equal([b], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "dev", "user").StartAsync()));
            await SendAsync(admin, HttpMethod.Put, $"/api/v1/apps/{app.Id}/ab-tests/{test["id"]!.GetValue<string>()}",
                "{\"variants\":[{\"id\":" + VariantId(test, "Control") + ",\"name\":\"Control\",\"weight\":100},{\"id\":" + b + ",\"name\":\"B\",\"weight\":0}]}");
        }

        using var second = new LodestarFactory(dataDir);
        using var again = second.CreateClient();
        var answer = await new LeanplumDevice(again, app, "other-dev", "user").StartAsync();
        Assert.Equal([b], LeanplumDevice.VariantIds(answer));
    }

    [Fact]
    public async Task TwoTestsOnOneVariable_TheEarliestStartedWins()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);
        var first = await CreateAsync(admin, app, Test("first", 0, 100, bValues: """{"greeting":"Hola"}"""));
        var second = await CreateAsync(admin, app, Test("second", 0, 100, bValues: """{"greeting":"Bonjour","color":"green"}"""));
        var answer = await new LeanplumDevice(client, app, "d", "u").StartAsync();
        Assert.Equal([VariantId(first, "B"), VariantId(second, "B")], LeanplumDevice.VariantIds(answer));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"greeting":"Hola","color":"green"}"""), answer["vars"]), answer["vars"]!.ToJsonString());
    }

    [Fact]
    public async Task LoginMerge_KnownPersonsAssignmentWins_OtherwiseTheDevicesAssignmentIsCarriedOver()
    {
        using var admin = Admin();
        using var client = _factory.CreateClient();
        var app = await AppAsync(admin);

        // "newcomer" has been seen before the test exists, so they have no assignment yet.
        await new LeanplumDevice(client, app, "newcomer-phone", "newcomer").StartAsync();
        var test = await CreateAsync(admin, app, Test("login", 50, 50));
        long control = VariantId(test, "Control"), b = VariantId(test, "B");

        var known = new LeanplumDevice(client, app, "known-phone", "known");
        long knownVariant = Assert.Single(LeanplumDevice.VariantIds(await known.StartAsync()));

        // An anonymous browser that drew the other variant logs in as "known": it now shows the known person's variant.
        LeanplumDevice? browser = null;
        for (int i = 0; i < 40 && browser is null; i++)
        {
            var candidate = new LeanplumDevice(client, app, $"browser-{i}");
            if (Assert.Single(LeanplumDevice.VariantIds(await candidate.StartAsync())) != knownVariant) browser = candidate;
        }

        Assert.NotNull(browser);
        await browser.LoginAsync("known");
        Assert.Equal([knownVariant], LeanplumDevice.VariantIds(await browser.GetVarsAsync()));
        Assert.Equal([knownVariant], LeanplumDevice.VariantIds(await known.GetVarsAsync()));

        // An anonymous browser logging in as a person without an assignment keeps what it showed, on every device.
        var anonymous = new LeanplumDevice(client, app, "laptop");
        long laptopVariant = Assert.Single(LeanplumDevice.VariantIds(await anonymous.StartAsync()));
        await anonymous.LoginAsync("newcomer");
        Assert.Equal([laptopVariant], LeanplumDevice.VariantIds(await anonymous.GetVarsAsync()));
        Assert.Equal([laptopVariant], LeanplumDevice.VariantIds(await new LeanplumDevice(client, app, "newcomer-phone", "newcomer").StartAsync()));
        Assert.Contains(laptopVariant, new[] { control, b });
    }
}
