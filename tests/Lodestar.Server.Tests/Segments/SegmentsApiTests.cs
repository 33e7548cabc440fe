using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lodestar.Core.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Segments;

public sealed class SegmentsApiTests : IDisposable
{
    private const string ClickedNotBought = """{"sequence": {"did": {"event": "Add To Cart"}, "thenNot": {"event": "Purchase"}, "within": "1d"}}""";

    // Its own data directory (not the factory's): a test restarts the host on it after disposing the factory.
    private readonly LodestarFactory _factory = new(LodestarFactory.NewDataDir());

    public void Dispose() => _factory.Dispose();

    private static string Ago(TimeSpan ago) => (DateTimeOffset.UtcNow - ago).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// u1 added to cart 3 days ago and never bought (anonymously, as a1, then logged in: one person);
    /// u2 added to cart 3 days ago and bought an hour later; u3 bought three times this week; a4 only opened the app.
    /// </summary>
    private async Task<TestApp> SeedAsync()
    {
        var app = await _factory.CreateAppAsync();
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        string batch = $$$"""
            {"batch": [
              {"type": "track", "anonymousId": "a1", "event": "Add To Cart", "timestamp": "{{{Ago(TimeSpan.FromDays(3))}}}"},
              {"type": "identify", "userId": "u1", "anonymousId": "a1", "timestamp": "{{{Ago(TimeSpan.FromDays(2))}}}", "traits": {"plan": "pro"}},
              {"type": "track", "userId": "u2", "event": "Add To Cart", "timestamp": "{{{Ago(TimeSpan.FromDays(3))}}}"},
              {"type": "track", "userId": "u2", "event": "Purchase", "timestamp": "{{{Ago(TimeSpan.FromDays(3) - TimeSpan.FromHours(1))}}}", "properties": {"amount": 20}},
              {"type": "identify", "userId": "u2", "timestamp": "{{{Ago(TimeSpan.FromDays(3))}}}", "traits": {"plan": "free"}},
              {"type": "track", "userId": "u3", "event": "Purchase", "timestamp": "{{{Ago(TimeSpan.FromDays(6))}}}", "properties": {"amount": 5}},
              {"type": "track", "userId": "u3", "event": "Purchase", "timestamp": "{{{Ago(TimeSpan.FromDays(4))}}}", "properties": {"amount": 50}},
              {"type": "track", "userId": "u3", "event": "Purchase", "timestamp": "{{{Ago(TimeSpan.FromDays(1))}}}", "properties": {"amount": 60}},
              {"type": "track", "userId": "u3", "event": "Open App", "timestamp": "{{{Ago(TimeSpan.FromHours(5))}}}"},
              {"type": "track", "anonymousId": "a4", "event": "Open App", "timestamp": "{{{Ago(TimeSpan.FromHours(2))}}}"}
            ]}
            """;
        var response = await segment.PostJsonAsync("/v1/batch", batch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return app;
    }

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> Create(HttpClient admin, string appId, string name, string criteria) =>
        await Expect(await admin.PostJsonAsync($"/api/v1/apps/{appId}/segments", $$"""{"name": "{{name}}", "criteria": {{criteria}}}"""), HttpStatusCode.Created);

    [Fact]
    public async Task Segment_CreateGetUpdatePreviewAndListUsers_ThroughTheApi()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        string root = $"/api/v1/apps/{app.Id}/segments";

        var created = await Create(admin, app.Id, "Clicked not bought", ClickedNotBought);
        string id = created.GetProperty("id").GetString()!;
        Assert.Equal("Clicked not bought", created.GetProperty("name").GetString());
        Assert.Equal("1d", created.GetProperty("criteria").GetProperty("sequence").GetProperty("within").GetString());
        Assert.True(created.TryGetProperty("createdAt", out _) && created.TryGetProperty("updatedAt", out _));

        var list = await Expect(await admin.GetAsync(root), HttpStatusCode.OK);
        Assert.Equal([id], list.GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var preview = await Expect(await admin.PostJsonAsync(root + "/preview", $$"""{"criteria": {{ClickedNotBought}}}"""), HttpStatusCode.OK);
        Assert.Equal(1, preview.GetProperty("persons").GetInt64());
        Assert.Equal(["u1"], preview.GetProperty("sample").EnumerateArray().Select(s => s.GetString()));

        // Bought 20 or more in the last week: u2 (20) and u3 (50, 60; the 5 does not pass the filter).
        var buyers = await Expect(await admin.PostJsonAsync(root + "/preview", """
            {"criteria": {"event": "Purchase", "filters": [{"property": "amount", "op": "gte", "value": 20}], "within": "7d"}}
            """), HttpStatusCode.OK);
        Assert.Equal(2, buyers.GetProperty("persons").GetInt64());
        Assert.Equal(["u2", "u3"], buyers.GetProperty("sample").EnumerateArray().Select(s => s.GetString()).Order(StringComparer.Ordinal));

        var users = await Expect(await admin.GetAsync($"{root}/{id}/users"), HttpStatusCode.OK);
        var member = Assert.Single(users.GetProperty("users").EnumerateArray());
        Assert.Equal("u1", member.GetProperty("userId").GetString());
        Assert.Equal(JsonValueKind.Null, users.GetProperty("nextCursor").ValueKind);
        string personId = member.GetProperty("personId").GetString()!;

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"{root}/{id}/users");
        csvRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var csv = await admin.SendAsync(csvRequest);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"personId,userId\n{personId},u1\n", await csv.Content.ReadAsStringAsync());

        var updated = await Expect(await admin.PutAsync($"{root}/{id}", new StringContent("""{"name": "Abandoned carts"}""")), HttpStatusCode.OK);
        Assert.Equal("Abandoned carts", updated.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, updated.GetProperty("criteria").GetProperty("sequence").ValueKind);
        var fetched = await Expect(await admin.GetAsync($"{root}/{id}"), HttpStatusCode.OK);
        Assert.Equal("Abandoned carts", fetched.GetProperty("name").GetString());

        // The audience content and journeys read answers from the same evaluation.
        var audience = _factory.Services.GetRequiredService<ISegmentAudience>();
        Assert.True(await audience.ExistsAsync(app.Id, id));
        Assert.True(await audience.ContainsAsync(app.Id, id, personId));
        Assert.Equal([personId], await audience.PersonsAsync(app.Id, id).ToListAsync());
        Assert.False(await audience.ExistsAsync(app.Id, "seg_missing"));
    }

    [Fact]
    public async Task Users_PagesWithACursor()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        string id = (await Create(admin, app.Id, "Everyone who did anything", """{"any": [{"event": "Open App"}, {"event": "Purchase"}, {"event": "Add To Cart"}]}"""))
            .GetProperty("id").GetString()!;
        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await Expect(await admin.GetAsync($"/api/v1/apps/{app.Id}/segments/{id}/users?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))), HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(2, pages);
        Assert.Equal(["a4", "u1", "u2", "u3"], seen.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"all": [{"event": "Purchase"}, {"event": "Purchase", "count": {"op": "gte", "value": -1}}]}""", "criteria.all[1].count.value")]
    [InlineData("""{"attribute": "plan", "op": "like", "value": "p"}""", "criteria.op")]
    [InlineData("""{"attribute": "plan", "op": "gt", "value": 3}""", "criteria.op")]
    [InlineData("""{"event": "Purchase", "within": "a week"}""", "criteria.within")]
    [InlineData("""{"not": {"segment": "seg_nope"}}""", "criteria.not.segment")]
    public async Task InvalidCriteria_Get400NamingThePath(string criteria, string path)
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        foreach (string url in new[] { $"/api/v1/apps/{app.Id}/segments", $"/api/v1/apps/{app.Id}/segments/preview" })
        {
            var problem = await Expect(await admin.PostJsonAsync(url, $$"""{"name": "x", "criteria": {{criteria}}}"""), HttpStatusCode.BadRequest);
            Assert.Equal(path, problem.GetProperty("field").GetString());
            Assert.Contains(path, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(path, problem.GetProperty("errors")[0].GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task NestedSegments_RefuseCycles_AndDeleteIsRefusedWhileInUse()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        string root = $"/api/v1/apps/{app.Id}/segments";
        string buyers = (await Create(admin, app.Id, "Buyers", """{"event": "Purchase"}""")).GetProperty("id").GetString()!;
        string proBuyers = (await Create(admin, app.Id, "Pro buyers", $$"""{"all": [{"segment": "{{buyers}}"}, {"attribute": "plan", "op": "eq", "value": "free"}]}"""))
            .GetProperty("id").GetString()!;

        var preview = await Expect(await admin.PostJsonAsync(root + "/preview", $$$"""{"criteria": {"segment": "{{{proBuyers}}}"}}"""), HttpStatusCode.OK);
        Assert.Equal(["u2"], preview.GetProperty("sample").EnumerateArray().Select(s => s.GetString()));

        var cycle = await Expect(await admin.PutAsync($"{root}/{buyers}",
            new StringContent($$$"""{"criteria": {"any": [{"event": "Purchase"}, {"segment": "{{{proBuyers}}}"}]}}""")), HttpStatusCode.BadRequest);
        Assert.Equal("criteria.any[1].segment", cycle.GetProperty("field").GetString());
        Assert.Contains("cycle", cycle.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var conflict = await Expect(await admin.DeleteAsync($"{root}/{buyers}"), HttpStatusCode.Conflict);
        var usedBy = Assert.Single(conflict.GetProperty("usedBy").EnumerateArray());
        Assert.Equal("segment", usedBy.GetProperty("kind").GetString());
        Assert.Equal(proBuyers, usedBy.GetProperty("id").GetString());
        Assert.Equal("Pro buyers", usedBy.GetProperty("name").GetString());

        await Expect(await admin.DeleteAsync($"{root}/{proBuyers}"), HttpStatusCode.NoContent);
        await Expect(await admin.DeleteAsync($"{root}/{buyers}"), HttpStatusCode.NoContent);
        await Expect(await admin.GetAsync($"{root}/{buyers}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Templates_ListAndCreateFromOne()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        string root = $"/api/v1/apps/{app.Id}/segments";
        var templates = await Expect(await admin.GetAsync(root + "/templates"), HttpStatusCode.OK);
        Assert.Equal(["clicked-not-bought", "vanished-after-onboarding", "lurkers", "loyalists"],
            templates.GetProperty("templates").EnumerateArray().Select(t => t.GetProperty("id").GetString()));

        var loyalists = await Expect(await admin.PostJsonAsync(root + "/templates/loyalists",
            """{"name": "Regulars", "parameters": {"minConversions": 3, "within": "7d", "activeWithin": "1d"}}"""), HttpStatusCode.Created);
        Assert.Equal("Regulars", loyalists.GetProperty("name").GetString());
        var users = await Expect(await admin.GetAsync($"{root}/{loyalists.GetProperty("id").GetString()}/users"), HttpStatusCode.OK);
        Assert.Equal(["u3"], users.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").GetString()));

        var clicked = await Expect(await admin.PostJsonAsync(root + "/templates/clicked-not-bought", "{}"), HttpStatusCode.Created);
        Assert.Equal("Clicked but not bought", clicked.GetProperty("name").GetString());

        var bad = await Expect(await admin.PostJsonAsync(root + "/templates/lurkers", """{"parameters": {"within": "soon"}}"""), HttpStatusCode.BadRequest);
        Assert.Equal("parameters.within", bad.GetProperty("field").GetString());
        await Expect(await admin.PostJsonAsync(root + "/templates/whales", "{}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Segment_FiltersAndBreaksDownTrendsAndFunnels()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();
        string buyers = (await Create(admin, app.Id, "Buyers", """{"event": "Purchase"}""")).GetProperty("id").GetString()!;
        string insights = $"/api/v1/apps/{app.Id}/insights";
        string range = $$$"""
            "interval": "day", "from": "{{{Ago(TimeSpan.FromDays(10))}}}", "to": "{{{Ago(TimeSpan.Zero)}}}"
            """;
        static double Total(JsonElement line) => line.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").GetDouble());

        // Open App: u3 (a buyer) and a4 (not). Filtered to buyers: u3 only.
        var all = await Expect(await admin.PostJsonAsync(insights + "/trends", $$"""{"series": [{"event": "Open App"}], {{range}}}"""), HttpStatusCode.OK);
        Assert.Equal(2, Total(all.GetProperty("series")[0]));
        var filtered = await Expect(await admin.PostJsonAsync(insights + "/trends", $$"""{"series": [{"event": "Open App"}], "segment": "{{buyers}}", {{range}}}"""), HttpStatusCode.OK);
        Assert.Equal(1, Total(filtered.GetProperty("series")[0]));

        var split = await Expect(await admin.PostJsonAsync(insights + "/trends",
            $$"""{"series": [{"event": "Open App"}], "breakdown": {"segment": "{{buyers}}"}, {{range}}}"""), HttpStatusCode.OK);
        var byValue = split.GetProperty("series").EnumerateArray().ToDictionary(l => l.GetProperty("breakdownValue").GetString()!, Total);
        Assert.Equal(new Dictionary<string, double> { ["member"] = 1, ["not member"] = 1 }, byValue);

        // Add To Cart → Purchase in a day: u2 (a buyer) converts, u1 (not a buyer) does not.
        string funnel = $$$"""
            "steps": [{"event": "Add To Cart"}, {"event": "Purchase"}], "window": "1d", "from": "{{{Ago(TimeSpan.FromDays(10))}}}", "to": "{{{Ago(TimeSpan.Zero)}}}"
            """;
        var funnelAll = await Expect(await admin.PostJsonAsync(insights + "/funnels", $$"""{{{funnel}}}"""), HttpStatusCode.OK);
        Assert.Equal([2L, 1L], funnelAll.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("persons").GetInt64()));
        var funnelBuyers = await Expect(await admin.PostJsonAsync(insights + "/funnels", $$"""{{{funnel}}, "segment": "{{buyers}}"}"""), HttpStatusCode.OK);
        Assert.Equal([1L, 1L], funnelBuyers.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("persons").GetInt64()));
        var funnelSplit = await Expect(await admin.PostJsonAsync(insights + "/funnels", "{" + funnel + ", \"breakdown\": {\"segment\": \"" + buyers + "\"}}"), HttpStatusCode.OK);
        var rows = funnelSplit.GetProperty("breakdowns").EnumerateArray().ToDictionary(
            b => b.GetProperty("breakdownValue").GetString()!, b => b.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("persons").GetInt64()).ToArray());
        Assert.Equal([1L, 1L], rows["member"]);
        Assert.Equal([1L, 0L], rows["not member"]);

        // Retention, paths and lifecycle take the filter too; an unknown segment is a 400 naming the field.
        foreach (var (path, body) in new[]
        {
            ("retention", $$"""{"startEvent": "Add To Cart", "returnEvent": "$any", "segment": "{{buyers}}", {{range}}}"""),
            ("paths", $$"""{"startEvent": "Add To Cart", "segment": "{{buyers}}", "from": "{{Ago(TimeSpan.FromDays(10))}}", "to": "{{Ago(TimeSpan.Zero)}}"}"""),
            ("lifecycle", $$"""{"event": "Purchase", "segment": "{{buyers}}", {{range}}}"""),
        })
        {
            await Expect(await admin.PostJsonAsync($"{insights}/{path}", body), HttpStatusCode.OK);
        }

        var unknown = await Expect(await admin.PostJsonAsync(insights + "/trends", $$"""{"series": [{"event": "Open App"}], "segment": "seg_nope", {{range}}}"""), HttpStatusCode.BadRequest);
        Assert.Equal("segment", unknown.GetProperty("field").GetString());
        var unknownBreakdown = await Expect(await admin.PostJsonAsync(insights + "/funnels", "{" + funnel + ", \"breakdown\": {\"segment\": \"seg_nope\"}}"), HttpStatusCode.BadRequest);
        Assert.Equal("breakdown.segment", unknownBreakdown.GetProperty("field").GetString());
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheSegmentEndpoints_AndTheSegmentFieldOfQueries()
    {
        using var client = _factory.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");
        foreach (string path in new[] { "", "/preview", "/templates", "/templates/{templateId}", "/{segmentId}", "/{segmentId}/users" })
            Assert.True(paths.TryGetProperty("/api/v1/apps/{appId}/segments" + path, out _), path);
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (string query in new[] { "TrendsQuery", "FunnelQuery", "RetentionQuery", "PathsQuery", "LifecycleQuery" })
            Assert.True(schemas.GetProperty(query).GetProperty("properties").TryGetProperty("segment", out _), query);
        Assert.True(schemas.GetProperty("Breakdown").GetProperty("properties").TryGetProperty("segment", out _));
    }

    [Fact]
    public async Task SavedSegments_SurviveARestart_AndTheStoreVersionKeepsIncreasing()
    {
        var app = await SeedAsync();
        string id;
        long version;
        using (var admin = _factory.CreateAdminClient())
        {
            id = (await Create(admin, app.Id, "Clicked not bought", ClickedNotBought)).GetProperty("id").GetString()!;
            version = _factory.Services.GetRequiredService<ISegmentStore>().Version;
        }

        _factory.Dispose();
        using var restarted = new LodestarFactory(_factory.DataDir);
        using var client = restarted.CreateAdminClient();
        var segment = await Expect(await client.GetAsync($"/api/v1/apps/{app.Id}/segments/{id}"), HttpStatusCode.OK);
        Assert.Equal("Clicked not bought", segment.GetProperty("name").GetString());
        var users = await Expect(await client.GetAsync($"/api/v1/apps/{app.Id}/segments/{id}/users"), HttpStatusCode.OK);
        Assert.Equal(["u1"], users.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").GetString()));
        var store = restarted.Services.GetRequiredService<ISegmentStore>();
        Assert.Equal(version, store.Version);
        await Expect(await client.DeleteAsync($"/api/v1/apps/{app.Id}/segments/{id}"), HttpStatusCode.NoContent);
        Assert.True(store.Version > version);
    }
}
