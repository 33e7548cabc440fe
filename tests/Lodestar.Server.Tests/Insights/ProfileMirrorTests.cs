using System.Net;
using System.Text.Json;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Insights;

/// <summary>
/// Attribute breakdowns and batch segments read person attributes from copies of the profiles kept in DuckDB. After
/// the first copy, a copy follows only the persons saved or removed since; these tests change, add, merge away and erase
/// persons between queries and check every answer against the counts worked out by hand.
/// </summary>
public sealed class ProfileMirrorTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private async Task PostBatchAsync(TestApp app, string messages)
    {
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        var response = await segment.PostJsonAsync("/v1/batch", $$"""{"batch": [{{messages}}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Identify(string userId, string plan, string day, string? anonymousId = null)
    {
        string anonymous = anonymousId is null ? "" : $$""", "anonymousId": "{{anonymousId}}" """;
        return $$"""{"type": "identify", "userId": "{{userId}}"{{anonymous}}, "timestamp": "2024-01-{{day}}T09:00:00Z", "traits": {"plan": "{{plan}}" } }""";
    }

    private static string Signup(string id, string day, bool anonymous = false) =>
        $$"""{"type": "track", "{{(anonymous ? "anonymousId" : "userId")}}": "{{id}}", "event": "Signup", "timestamp": "2024-01-{{day}}T10:00:00Z"}""";

    private async Task<JsonElement> PostOk(HttpClient admin, string url, string body)
    {
        var response = await admin.PostJsonAsync(url, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Signups of January by plan (uniques), "(none)" for persons without one.</summary>
    private async Task<Dictionary<string, double>> SignupsByPlanAsync(HttpClient admin, TestApp app)
    {
        var json = await PostOk(admin, $"/api/v1/apps/{app.Id}/insights/trends", """
            {"series": [{"event": "Signup", "math": "uniques"}], "interval": "month", "breakdown": {"attribute": "plan"},
             "from": "2024-01-01T00:00:00Z", "to": "2024-01-31T23:59:59Z"}
            """);
        return json.GetProperty("series").EnumerateArray()
            .Select(s => (Value: s.GetProperty("breakdownValue").GetString() ?? "(none)", Count: s.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").GetDouble())))
            .Where(s => s.Count > 0)
            .ToDictionary(s => s.Value, s => s.Count);
    }

    private async Task<List<string>> PlanMembersAsync(HttpClient admin, TestApp app, string plan)
    {
        var json = await PostOk(admin, $"/api/v1/apps/{app.Id}/segments/preview",
            $$"""{"criteria": {"attribute": "plan", "op": "eq", "value": "{{plan}}"}, "sampleSize": 1000}""");
        var sample = json.GetProperty("sample").EnumerateArray().Select(u => u.GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(sample.Count, json.GetProperty("persons").GetInt64());
        return sample;
    }

    [Fact]
    public async Task Copies_FollowChangedNewMergedAndErasedPersons_BetweenQueries()
    {
        var app = await _factory.CreateAppAsync();
        using var admin = _factory.CreateAdminClient();
        await PostBatchAsync(app, string.Join(",",
            Identify("u1", "pro", "02"), Signup("u1", "02"),
            Identify("u2", "free", "02"), Signup("u2", "02"),
            Identify("u3", "free", "03"), Signup("u3", "03"),
            Identify("u4", "pro", "03"), Signup("u4", "03"),
            Signup("a5", "04", anonymous: true)));
        await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u4"); // read-your-writes: the profiles are saved

        Assert.Equal(new Dictionary<string, double> { ["pro"] = 2, ["free"] = 2, ["(none)"] = 1 }, await SignupsByPlanAsync(admin, app));
        Assert.Equal(["u1", "u4"], await PlanMembersAsync(admin, app, "pro"));
        Assert.Equal(["u2", "u3"], await PlanMembersAsync(admin, app, "free"));

        // u2 upgrades, u6 arrives on a new plan, the anonymous a5 logs in as u1 (its profile merges away).
        await PostBatchAsync(app, string.Join(",",
            Identify("u2", "pro", "05"),
            Identify("u6", "enterprise", "05"), Signup("u6", "05"),
            Identify("u1", "pro", "06", anonymousId: "a5")));
        await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u6");

        // u1 signed up twice (as a5 too) and counts once.
        Assert.Equal(new Dictionary<string, double> { ["pro"] = 3, ["free"] = 1, ["enterprise"] = 1 }, await SignupsByPlanAsync(admin, app));
        Assert.Equal(["u1", "u2", "u4"], await PlanMembersAsync(admin, app, "pro"));
        Assert.Equal(["u3"], await PlanMembersAsync(admin, app, "free"));
        Assert.Equal(["u6"], await PlanMembersAsync(admin, app, "enterprise"));

        // u4 is erased (Leanplum deleteUser), u3 upgrades.
        using var client = _factory.CreateClient();
        var erased = await client.PostAsync($"/api?appId={app.Id}&clientKey={app.DevelopmentKey}&action=deleteUser&userId=u4", null);
        string answer = await erased.Content.ReadAsStringAsync();
        Assert.Contains("\"success\":true", answer, StringComparison.Ordinal);
        await PostBatchAsync(app, Identify("u3", "pro", "07"));
        await admin.GetAsync($"/api/v1/apps/{app.Id}/users/u3");

        Assert.Equal(new Dictionary<string, double> { ["pro"] = 3, ["enterprise"] = 1 }, await SignupsByPlanAsync(admin, app));
        Assert.Equal(["u1", "u2", "u3"], await PlanMembersAsync(admin, app, "pro"));
        Assert.Empty(await PlanMembersAsync(admin, app, "free"));
    }
}
