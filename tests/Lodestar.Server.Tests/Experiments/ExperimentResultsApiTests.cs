using System.Net;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Experiments;

public sealed class ExperimentResultsApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private static string Exposure(string user, string variantId, string variantName, string time) =>
        $$"""{"type": "track", "userId": "{{user}}", "event": "$experiment_exposure", "timestamp": "{{time}}", "properties": {"testId": "checkout", "variantId": "{{variantId}}", "variantName": "{{variantName}}"} }""";

    private static string Purchase(string user, string time) =>
        $$"""{"type": "track", "userId": "{{user}}", "event": "Purchase", "timestamp": "{{time}}"}""";

    /// <summary>Control: c1 buys, c2 does not. Treatment: t1 and t2 buy, t3 buys only after the window.</summary>
    private async Task<TestApp> SeedAsync()
    {
        var app = await _factory.CreateAppAsync();
        using var segment = _factory.CreateSegmentClient(app.WriteKey);
        string[] events =
        [
            Exposure("c1", "a", "Control", "2024-01-01T00:00:00Z"), Purchase("c1", "2024-01-02T00:00:00Z"),
            Exposure("c2", "a", "Control", "2024-01-01T00:00:00Z"),
            Exposure("t1", "b", "New checkout", "2024-01-01T00:00:00Z"), Purchase("t1", "2024-01-01T05:00:00Z"),
            Exposure("t2", "b", "New checkout", "2024-01-01T00:00:00Z"), Purchase("t2", "2024-01-03T00:00:00Z"),
            Exposure("t3", "b", "New checkout", "2024-01-01T00:00:00Z"), Purchase("t3", "2024-01-20T00:00:00Z"),
        ];
        var response = await segment.PostJsonAsync("/v1/batch", "{\"batch\": [" + string.Join(",", events) + "]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return app;
    }

    [Fact]
    public async Task Results_Conversion_ComputesRowsAndRunsTheEngine()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();

        var response = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/checkout/results?metric=conversion&event=Purchase&window=7d&engine=frequentist");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        var json = System.Text.Json.JsonDocument.Parse(text).RootElement;

        Assert.Equal("a", json.GetProperty("baseline").GetString());
        var arms = json.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(["a", "b"], arms.Select(a => a.GetProperty("variantId").GetString()));
        Assert.Equal([2.0, 3.0], arms.Select(a => a.GetProperty("row").GetProperty("users").GetDouble()));
        Assert.Equal([1.0, 2.0], arms.Select(a => a.GetProperty("row").GetProperty("mainSum").GetDouble()));
        var variations = json.GetProperty("result").GetProperty("variations").EnumerateArray().ToList();
        Assert.Equal(0.5, variations[0].GetProperty("cr").GetDouble(), 12);
        Assert.Equal(2.0 / 3, variations[1].GetProperty("cr").GetDouble(), 12);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, variations[1].GetProperty("pValue").ValueKind);
    }

    [Fact]
    public async Task Results_Breakdown_GivesPerValueResults_WithTheCorrectionAcrossValues()
    {
        var app = await _factory.CreateAppAsync();
        using (var segment = _factory.CreateSegmentClient(app.WriteKey))
        {
            static string Web(string user, string variantId, string name) =>
                $$"""{"type": "track", "userId": "{{user}}", "event": "$experiment_exposure", "timestamp": "2024-01-01T00:00:00Z", "properties": {"testId": "checkout", "variantId": "{{variantId}}", "variantName": "{{name}}", "platform": "web"} }""";
            string[] events =
            [
                Web("c1", "a", "Control"), Purchase("c1", "2024-01-02T00:00:00Z"), Web("c3", "a", "Control"),
                Web("t1", "b", "New"), Purchase("t1", "2024-01-02T00:00:00Z"), Web("t2", "b", "New"), Purchase("t2", "2024-01-02T00:00:00Z"),
                Web("t4", "b", "New"),
                Exposure("c2", "a", "Control", "2024-01-01T00:00:00Z"), Purchase("c2", "2024-01-02T00:00:00Z"),
                Exposure("c4", "a", "Control", "2024-01-01T00:00:00Z"),
                Exposure("t3", "b", "New", "2024-01-01T00:00:00Z"),
                Exposure("t5", "b", "New", "2024-01-01T00:00:00Z"), Purchase("t5", "2024-01-02T00:00:00Z"),
                Exposure("t6", "b", "New", "2024-01-01T00:00:00Z"), Purchase("t6", "2024-01-02T00:00:00Z"),
            ];
            var posted = await segment.PostJsonAsync("/v1/batch", "{\"batch\": [" + string.Join(",", events) + "]}");
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using var admin = _factory.CreateAdminClient();
        string url = $"/api/v1/apps/{app.Id}/ab-tests/checkout/results?metric=conversion&event=Purchase&window=7d&engine=frequentist&correction=benjamini-hochberg";
        var response = await admin.GetAsync(url + "&breakdown=property:platform");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        var json = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var plain = await (await admin.GetAsync(url)).JsonAsync();
        Assert.Equal(plain.GetProperty("result").GetRawText(), json.GetProperty("result").GetRawText()); // overall unchanged
        Assert.Equal(plain.GetProperty("arms").GetRawText(), json.GetProperty("arms").GetRawText());
        Assert.False(plain.TryGetProperty("breakdowns", out _));

        var breakdowns = json.GetProperty("breakdowns").EnumerateArray().ToList();
        Assert.Equal(["(none)", "web"], breakdowns.Select(b => b.GetProperty("value").GetString())); // 5 exposed, then 5: by value
        Assert.Equal([2.0, 3.0], breakdowns[0].GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("row").GetProperty("users").GetDouble()));
        Assert.Equal([1.0, 2.0], breakdowns[0].GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("row").GetProperty("mainSum").GetDouble()));
        Assert.Equal([2.0, 3.0], breakdowns[1].GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("row").GetProperty("users").GetDouble()));
        var p = breakdowns.Select(b => b.GetProperty("analysis").GetProperty("variations")[1].GetProperty("pValue").GetDouble()).ToArray();
        var adjusted = breakdowns.Select(b => b.GetProperty("analysis").GetProperty("variations")[1].GetProperty("pValueAdjusted").GetDouble()).ToArray();
        // Benjamini–Hochberg by hand over two p-values: the larger stays, the smaller is min(2p, larger).
        int lo = p[0] <= p[1] ? 0 : 1, hi = 1 - lo;
        Assert.Equal(Math.Min(1, p[hi]), adjusted[hi], 12);
        Assert.Equal(Math.Min(Math.Min(1, 2 * p[lo]), adjusted[hi]), adjusted[lo], 12);

        var bad = await admin.GetAsync(url + "&breakdown=platform");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("breakdown", (await bad.JsonAsync()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Timeseries_GivesOnePointPerDayEnd()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();

        var json = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/checkout/results/timeseries?metric=conversion&event=Purchase&window=7d&interval=day")).JsonAsync();
        var points = json.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(20, points.Count); // Jan 1 to Jan 20 (t3's late purchase)
        // End of Jan 1: t1 has bought; c1's purchase at Jan 2 00:00 is not before the day end.
        Assert.Equal([0.0, 1.0], points[0].GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("row").GetProperty("mainSum").GetDouble()));
        Assert.Equal([1.0, 2.0], points[^1].GetProperty("arms").EnumerateArray().Select(a => a.GetProperty("row").GetProperty("mainSum").GetDouble()));

        var week = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/checkout/results/timeseries?metric=conversion&event=Purchase&interval=week");
        Assert.Equal(HttpStatusCode.BadRequest, week.StatusCode);
        Assert.Equal("interval", (await week.JsonAsync()).GetProperty("field").GetString());

        var breakdown = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/checkout/results/timeseries?metric=conversion&event=Purchase&breakdown=property:platform");
        Assert.Equal(HttpStatusCode.BadRequest, breakdown.StatusCode);
        Assert.Equal("breakdown", (await breakdown.JsonAsync()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Results_BadMetricIs400_UnknownTestIs404()
    {
        var app = await SeedAsync();
        using var admin = _factory.CreateAdminClient();

        var bad = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/checkout/results?metric=bogus&event=Purchase");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.JsonAsync();
        Assert.Equal("metric", problem.GetProperty("field").GetString());

        var unknown = await admin.GetAsync($"/api/v1/apps/{app.Id}/ab-tests/nope/results?metric=conversion&event=Purchase");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var noApp = await admin.GetAsync("/api/v1/apps/app_missing/ab-tests/checkout/results?metric=conversion&event=Purchase");
        Assert.Equal(HttpStatusCode.NotFound, noApp.StatusCode);
    }
}
