using System.Net;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Statistics;

public sealed class StatisticsApiTests : IDisposable
{
    private readonly LodestarFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Analyze_FrequentistRelative_MatchesWelchByHand()
    {
        using var admin = _factory.CreateAdminClient();
        // Plain text body: the endpoint takes JSON whatever the content type says.
        var response = await admin.PostAsync("/api/v1/stats/analyze", new StringContent("""
            {"metric":{"statisticType":"mean","mainMetricType":"count"},
             "settings":{"statsEngine":"frequentist","differenceType":"absolute"},
             "variations":[{"users":100,"count":100,"mainSum":270,"mainSumSquares":848.79},
                           {"users":100,"count":100,"mainSum":300,"mainSumSquares":1050}]}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        var treatment = json.GetProperty("variations")[1];
        // By hand: means 2.7 and 3.0; variances (848.79-729)/99 = 1.21, (1050-900)/99 = 1.515151…
        double se = Math.Sqrt(1.21 / 100 + (150.0 / 99) / 100);
        Assert.Equal(0.3, treatment.GetProperty("expected").GetDouble(), 12);
        Assert.Equal(0.3, treatment.GetProperty("uplift").GetProperty("mean").GetDouble(), 12);
        Assert.Equal(se, treatment.GetProperty("uplift").GetProperty("stddev").GetDouble(), 12);
        Assert.Equal(2.7, json.GetProperty("variations")[0].GetProperty("cr").GetDouble(), 12);
        Assert.InRange(treatment.GetProperty("pValue").GetDouble(), 0.0, 1.0);
    }

    [Fact]
    public async Task Analyze_BadInput_Is400NamingTheField()
    {
        using var admin = _factory.CreateAdminClient();
        var response = await admin.PostJsonAsync("/api/v1/stats/analyze", """
            {"metric":{"statisticType":"mean","mainMetricType":"count"},
             "variations":[{"users":-1,"count":100,"mainSum":270,"mainSumSquares":848.79}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("variations[0].users", out _));
        Assert.True(errors.TryGetProperty("variations", out _));

        var malformed = await admin.PostJsonAsync("/api/v1/stats/srm", "{\"users\":[100,");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not valid", (await malformed.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Srm_MatchesChiSquaredByHand()
    {
        using var admin = _factory.CreateAdminClient();
        var json = await (await admin.PostJsonAsync("/api/v1/stats/srm", """{"users":[100,120],"weights":[0.5,0.5]}""")).JsonAsync();
        // χ² = (100-110)²/110 + (120-110)²/110 = 1.818181…; p = erfc(sqrt(χ²/2)) for one degree of freedom.
        Assert.Equal(0.1775298524, json.GetProperty("srm").GetDouble(), 9);
    }
}
