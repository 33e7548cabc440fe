using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Insights;

public sealed class InsightsApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    /// <summary>
    /// a1 signs up anonymously, u1 (known) buys, then identifies with a1's device: a1's history merges into u1.
    /// a2 signs up and never buys.
    /// </summary>
    private async Task<TestApp> SeedAsync()
    {
        var app = await _factory.CreateAppAsync();
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        const string batch = """
            {"batch": [
              {"type": "track", "anonymousId": "a1", "event": "Signup", "timestamp": "2024-01-02T10:00:00Z", "properties": {"source": "ad"}},
              {"type": "track", "userId": "u1", "event": "Purchase", "timestamp": "2024-01-02T11:00:00Z", "properties": {"revenue": 30, "currency": "EUR"}},
              {"type": "identify", "userId": "u1", "anonymousId": "a1", "timestamp": "2024-01-02T11:30:00Z", "traits": {"plan": "pro"}},
              {"type": "track", "anonymousId": "a2", "event": "Signup", "timestamp": "2024-01-03T10:00:00Z", "properties": {"source": "seo"}},
              {"type": "track", "userId": "u1", "event": "Login", "timestamp": "2024-01-04T10:00:00Z"}
            ]}
            """;
        var response = await segment.PostJsonAsync("/v1/batch", batch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return app;
    }

    private async Task<JsonElement> PostOk(HttpClient admin, string url, string body)
    {
        var response = await admin.PostJsonAsync(url, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Funnel_ThroughTheApi_CountsTheMergedPersonAsConverted()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        var json = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/funnels", """
            {"steps": [{"event": "Signup"}, {"event": "Purchase"}], "window": "1d", "from": "2024-01-01T00:00:00Z", "to": "2024-01-31T00:00:00Z"}
            """);

        var steps = json.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal([2, 1], steps.Select(s => s.GetProperty("persons").GetInt64()));
        Assert.Equal(0.5, steps[1].GetProperty("conversionFromStart").GetDouble());
        Assert.Equal(3600, steps[1].GetProperty("medianSecondsFromPrevious").GetDouble());
        Assert.Equal("Purchase", steps[1].GetProperty("event").GetString());

        var dropped = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/funnels/persons", """
            {"funnel": {"steps": [{"event": "Signup"}, {"event": "Purchase"}], "window": "1d", "from": "2024-01-01T00:00:00Z", "to": "2024-01-31T00:00:00Z"}, "droppedAfterStep": 0}
            """);
        var persons = dropped.GetProperty("persons").EnumerateArray().ToList();
        Assert.Single(persons);
        Assert.Equal(JsonValueKind.Null, persons[0].GetProperty("userId").ValueKind); // a2 never logged in
    }

    [Fact]
    public async Task Trends_ThroughTheApi_SumsRevenueAndBreaksDownByAttribute()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        // Reading the profile waits until the projector has caught up, so attributes are there.
        var user = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u1")).JsonAsync();
        Assert.Equal("pro", user.GetProperty("attributes").GetProperty("plan").GetString());

        var json = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/trends", """
            {"series": [{"event": "Purchase", "math": "sum", "property": "value"}], "interval": "day",
             "from": "2024-01-01T00:00:00Z", "to": "2024-01-03T23:59:59Z"}
            """);
        var points = json.GetProperty("series")[0].GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([0.0, 30.0, 0.0], points.Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal("2024-01-02T00:00:00+00:00", points[1].GetProperty("t").GetString());

        var byPlan = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/trends", """
            {"series": [{"event": "Signup", "math": "uniques"}], "interval": "week", "breakdown": {"attribute": "plan"},
             "from": "2024-01-01T00:00:00Z", "to": "2024-01-07T23:59:59Z"}
            """);
        var lines = byPlan.GetProperty("series").EnumerateArray()
            .ToDictionary(s => s.GetProperty("breakdownValue").GetString() ?? "(none)", s => s.GetProperty("points")[0].GetProperty("value").GetDouble());
        Assert.Equal(new Dictionary<string, double> { ["pro"] = 1, ["(none)"] = 1 }, lines);
    }

    [Fact]
    public async Task RetentionPathsLifecycle_ThroughTheApi()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        var retention = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/retention", """
            {"startEvent": "Signup", "returnEvent": "$any", "interval": "day", "periods": 3, "from": "2024-01-02T00:00:00Z", "to": "2024-01-05T23:59:59Z"}
            """);
        var first = retention.GetProperty("cohorts")[0];
        Assert.Equal(1, first.GetProperty("size").GetInt64());
        // u1 (merged with a1): signup Jan 2, login Jan 4 → period 2.
        Assert.Equal([1, 0, 1, 0], first.GetProperty("retained").EnumerateArray().Select(v => v.GetInt64()));

        var paths = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/paths", """
            {"startEvent": "Signup", "depth": 3, "from": "2024-01-01T00:00:00Z", "to": "2024-01-31T00:00:00Z"}
            """);
        Assert.Equal(["0:Signup", "1:Purchase", "2:Login"], paths.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()));

        var lifecycle = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/lifecycle", """
            {"interval": "day", "from": "2024-01-02T00:00:00Z", "to": "2024-01-04T23:59:59Z"}
            """);
        var periods = lifecycle.GetProperty("periods").EnumerateArray().ToList();
        Assert.Equal([1, 1, 0], periods.Select(p => p.GetProperty("new").GetInt64())); // a2's first event is on Jan 3
        Assert.Equal([0, 0, 1], periods.Select(p => p.GetProperty("resurrecting").GetInt64()));
        Assert.Equal([0, 1, 1], periods.Select(p => p.GetProperty("dormant").GetInt64()));
    }

    [Theory]
    [InlineData("trends", """{"series": [{"event": "E", "filters": [{"property": "x", "operator": "like", "value": 1}]}], "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "series[0].filters[0].operator")]
    [InlineData("funnels", """{"steps": [{"event": "A"}, {"event": "B"}], "window": "0d", "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "window")]
    [InlineData("funnels", """{"steps": [{"event": "A"}], "from": "2024-02-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "from")]
    [InlineData("funnels", """{"steps": [{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"},{"event": "A"}], "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "steps")]
    [InlineData("trends", """{"series": [{"event": "E"}], "interval": "hour", "from": "2020-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "interval")]
    [InlineData("retention", """{"startEvent": "A", "mode": "sometimes", "from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z"}""", "mode")]
    public async Task BadQuery_Is400ProblemNamingTheField(string kind, string body, string field)
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        var response = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/insights/{kind}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(field, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task QueryPastTheTimeLimit_IsCancelledWithAClearError()
    {
        using var factory = new LodestarFactory(settings: new Dictionary<string, string?> { ["Analytics:QueryTimeout"] = "00:00:00.300" });
        var app = await factory.CreateAppAsync();
        var store = factory.Services.GetRequiredService<DuckDbEventStore>();
        using (var connection = store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            // 4M events of 200k persons: a 10-step funnel over them takes seconds.
            command.CommandText = $"""
                INSERT INTO events (seq, app_id, type, name, person_id, time, received_at, source, internal, person_key)
                SELECT 1000000 + i, '{app.Id}', 'track', CASE i % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END, 'p' || (i % 200000),
                       TIMESTAMP '2024-01-01' + to_seconds(i % 2000000), TIMESTAMP '2024-01-01', 'test', false,
                       1000000000 + i % 200000
                FROM range(4000000) t(i)
                """;
            command.ExecuteNonQuery();
        }

        using var admin = factory.CreateAdminClient();
        string steps = string.Join(", ", Enumerable.Range(0, 10).Select(i => $"{{\"event\": \"{"ABC"[i % 3]}\"}}"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var response = await admin.PostJsonAsync($"/api/v1/apps/{app.Id}/insights/funnels",
            $"{{\"steps\": [{steps}], \"window\": \"30d\", \"from\": \"2024-01-01T00:00:00Z\", \"to\": \"2024-02-01T00:00:00Z\"}}");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the interrupt took {watch.Elapsed}");
        Assert.Contains("cancelled", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Catalog_ListsEventsPropertiesAndAttributes()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u1");

        var events = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/events")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["Signup", "Login", "Purchase"], events.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(2, events[0].GetProperty("count").GetInt64());
        Assert.Equal("2024-01-02T10:00:00+00:00", events[0].GetProperty("firstSeen").GetString());

        var properties = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/events/Purchase/properties")).JsonAsync()).GetProperty("fields")
            .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("type").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["revenue"] = "number", ["currency"] = "string" }, properties);

        var attributes = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/attributes")).JsonAsync()).GetProperty("fields").EnumerateArray().ToList();
        var plan = attributes.Single(a => a.GetProperty("name").GetString() == "plan");
        Assert.Equal("pro", plan.GetProperty("examples")[0].GetString());
    }

    [Fact]
    public async Task EventDefinitions_SetWeights_ThatDriveEngagementAndWeightedScore()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        var put = await admin.PutAsync($"/api/v1/apps/{app.Id}/events/Login",
            new StringContent("""{"displayName": "Logged in", "weight": 2.5, "isGoal": true}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var definition = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/events/Login")).JsonAsync();
        Assert.True(definition.GetProperty("isGoal").GetBoolean());

        // u1: Signup (no value, worth 1), Purchase (value 30), Login (weight 2.5).
        var user = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u1")).JsonAsync();
        Assert.Equal(33.5, user.GetProperty("engagementScore").GetDouble());

        var listed = (await (await admin.GetAsync($"/api/v1/apps/{app.Id}/events")).JsonAsync()).GetProperty("events").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "Login");
        Assert.Equal(2.5, listed.GetProperty("weight").GetDouble());

        var score = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/trends", """
            {"series": [{"event": "$any", "math": "weightedScore"}], "interval": "month", "from": "2024-01-01T00:00:00Z", "to": "2024-01-31T23:59:59Z"}
            """);
        Assert.Equal(1 + 30 + 1 + 2.5, score.GetProperty("series")[0].GetProperty("points")[0].GetProperty("value").GetDouble());

        var bad = await admin.PutAsync($"/api/v1/apps/{app.Id}/events/Login", new StringContent("""{"weight": -1}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheInsightsAndCatalogEndpoints()
    {
        using var client = _factory.CreateClient();
        string document = await client.GetStringAsync("/openapi/v1.json");
        foreach (string path in new[] { "trends", "funnels", "funnels/persons", "funnels/time-to-convert", "retention", "paths", "lifecycle" })
            Assert.Contains($"\"/api/v1/apps/{{appId}}/insights/{path}\"", document);
        Assert.Contains("\"/api/v1/apps/{appId}/events/{name}/properties\"", document);
        Assert.Contains("\"/api/v1/apps/{appId}/attributes\"", document);
    }
}
