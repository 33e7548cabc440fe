using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Insights;

/// <summary>
/// <c>/api/v1/apps/{appId}/properties/materialized</c>: materializing a property (through the API or automatically
/// after repeated use) leaves every answer as it was, for events stored before and after, and across a restart.
/// </summary>
public sealed class MaterializedPropertiesApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static async Task SendAsync(LodestarFactory factory, TestApp app, string events)
    {
        using var segment = factory.CreateSegmentClient(app.WriteKey);
        var response = await segment.PostJsonAsync("/v1/batch", $$"""{"batch": [{{events}}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string View(string user, string time, string properties) =>
        $$"""{"type": "track", "userId": "{{user}}", "event": "View", "timestamp": "{{time}}", "properties": {{properties}}}""";

    private static readonly string FirstBatch = string.Join(", ",
        View("u1", "2024-01-01T10:00:00Z", """{"category": "toys", "price": 5}"""),
        View("u1", "2024-01-01T11:00:00Z", """{"category": "toys"}"""),
        View("u2", "2024-01-01T12:00:00Z", """{"category": "books", "price": 12.5}"""),
        View("u3", "2024-01-02T10:00:00Z", """{"category": 7}"""),
        View("u4", "2024-01-02T11:00:00Z", """{"price": 1}"""));

    /// <summary>Daily View counts by category, and daily counts of views with category "toys", as one line.</summary>
    private static async Task<string> AnswersAsync(HttpClient admin, TestApp app)
    {
        async Task<JsonElement> Trend(string body)
        {
            var response = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/insights/trends", body);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        static string Points(JsonElement line) => string.Join(",", line.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()));
        var byCategory = await Trend("""
            {"series": [{"event": "View"}], "interval": "day", "breakdown": {"property": "category"}, "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T23:59:59Z"}
            """);
        var toys = await Trend("""
            {"series": [{"event": "View", "filters": [{"property": "category", "operator": "eq", "value": "toys"}]}], "interval": "day",
             "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T23:59:59Z"}
            """);
        var lines = byCategory.GetProperty("series").EnumerateArray()
            .Select(s => $"{s.GetProperty("breakdownValue").GetString() ?? "(none)"}:{Points(s)}").Order(StringComparer.Ordinal);
        return $"{string.Join(" ", lines)} | toys {Points(toys.GetProperty("series")[0])}";
    }

    private static async Task<JsonElement> WaitFilledAsync(HttpClient admin, TestApp app, string property)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await admin.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized/{property}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.JsonAsync();
            if (json.GetProperty("filled").GetBoolean()) return json;
            Assert.True(DateTime.UtcNow < deadline, $"{property} not filled: {json}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Materialize_ThroughTheApi_AnswersStayTheSame_ForEventsBeforeAndAfter()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        await SendAsync(_factory, app, FirstBatch);
        const string before = "(none):0,1 7:0,1 books:1,0 toys:2,0 | toys 2,0";
        Assert.Equal(before, await AnswersAsync(admin, app));

        var created = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/properties/materialized", """{"property": "category"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        Assert.Equal("category", body.GetProperty("property").GetString());
        Assert.False(body.GetProperty("auto").GetBoolean());
        var filled = await WaitFilledAsync(admin, app, "category");
        Assert.True(filled.GetProperty("filledToSequence").GetInt64() >= 5);
        Assert.Equal(before, await AnswersAsync(admin, app));

        // Asking again changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/properties/materialized", """{"property": "category"}""")).StatusCode);

        // Events arriving later count at once (from the JSON until the fill reaches them) and after the fill.
        await SendAsync(_factory, app, string.Join(", ",
            View("u5", "2024-01-02T12:00:00Z", """{"category": "toys"}"""),
            View("u1", "2024-01-02T13:00:00Z", """{"category": "music"}""")));
        const string after = "(none):0,1 7:0,1 books:1,0 music:0,1 toys:2,1 | toys 2,1";
        Assert.Equal(after, await AnswersAsync(admin, app));
        await WaitFilledAsync(admin, app, "category");
        Assert.Equal(after, await AnswersAsync(admin, app));

        var list = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized")).JsonAsync();
        Assert.Equal(["category"], list.GetProperty("properties").EnumerateArray().Select(p => p.GetProperty("property").GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/apps/{app.Id}/properties/materialized/category")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized/category")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/apps/{app.Id}/properties/materialized/category")).StatusCode);
        Assert.Equal(after, await AnswersAsync(admin, app));
    }

    [Theory]
    [InlineData("""{"property": "a\"b"}""")]
    [InlineData("""{"property": ""}""")]
    [InlineData("""{}""")]
    [InlineData("""{"property": 5}""")]
    [InlineData("""not json""")]
    public async Task Materialize_BadProperty_Is400(string body)
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        var response = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/properties/materialized", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Materialize_UnknownApp_Is404_AndNeedsTheAdminToken()
    {
        using var admin = _factory.CreateAdminClient();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostJsonAsync("/api/v1/apps/nope/properties/materialized", """{"property": "x"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/apps/nope/properties/materialized")).StatusCode);
        using var anonymous = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/apps/nope/properties/materialized")).StatusCode);
    }

    [Fact]
    public async Task Queries_MaterializeAPropertyAutomatically_AfterTheConfiguredUses()
    {
        using var factory = new LodestarFactory(settings: new Dictionary<string, string?> { ["Analytics:AutoMaterializeAfter"] = "2" });
        var app = await factory.CreateAppAsync();
        using var admin = factory.CreateAdminClient();
        await SendAsync(factory, app, FirstBatch);
        // Each answer runs two queries using category (a breakdown, a filter): the second use materializes it.
        const string expected = "(none):0,1 7:0,1 books:1,0 toys:2,0 | toys 2,0";
        Assert.Equal(expected, await AnswersAsync(admin, app));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var list = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized")).JsonAsync();
            var found = list.GetProperty("properties").EnumerateArray().Where(p => p.GetProperty("property").GetString() == "category").ToList();
            if (found is [var p] && p.GetProperty("filled").GetBoolean())
            {
                Assert.True(p.GetProperty("auto").GetBoolean());
                Assert.Single(list.GetProperty("properties").EnumerateArray()); // price was never broken down or filtered by
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not materialized: {list}");
            await Task.Delay(100);
        }

        Assert.Equal(expected, await AnswersAsync(admin, app));
    }

    [Fact]
    public async Task Queries_DoNotMaterialize_WhenSwitchedOff()
    {
        using var factory = new LodestarFactory(settings: new Dictionary<string, string?> { ["Analytics:AutoMaterializeAfter"] = "0" });
        var app = await factory.CreateAppAsync();
        using var admin = factory.CreateAdminClient();
        await SendAsync(factory, app, FirstBatch);
        for (int i = 0; i < 3; i++) await AnswersAsync(admin, app);
        await Task.Delay(500);
        var list = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized")).JsonAsync();
        Assert.Empty(list.GetProperty("properties").EnumerateArray());
    }

    [Fact]
    public async Task MaterializedProperty_SurvivesARestart()
    {
        string dataDir = LodestarFactory.NewDataDir();
        TestApp app;
        const string expected = "(none):0,1 7:0,1 books:1,0 toys:2,0 | toys 2,0";
        long filledTo;
        using (var first = new LodestarFactory(dataDir))
        {
            app = await first.CreateAppAsync();
            using var admin = first.CreateAdminClient();
            await SendAsync(first, app, FirstBatch);
            await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/properties/materialized", """{"property": "category"}""");
            filledTo = (await WaitFilledAsync(admin, app, "category")).GetProperty("filledToSequence").GetInt64();
            Assert.Equal(expected, await AnswersAsync(admin, app));
        }

        using var second = new LodestarFactory(dataDir);
        using var again = second.CreateAdminClient();
        var state = await (await again.GetAsync($"/api/v1/apps/{app.Id}/properties/materialized/category")).JsonAsync();
        Assert.True(state.GetProperty("filledToSequence").GetInt64() >= filledTo);
        Assert.Equal(expected, await AnswersAsync(again, app));
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheMaterializedPropertyEndpoints()
    {
        using var client = _factory.CreateClient();
        string document = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/api/v1/apps/{appId}/properties/materialized\"", document);
        Assert.Contains("\"/api/v1/apps/{appId}/properties/materialized/{property}\"", document);
        foreach (string name in new[] { "MaterializeProperty", "ListMaterializedProperties", "GetMaterializedProperty", "UnmaterializeProperty" })
            Assert.Contains($"\"{name}\"", document);
    }
}
