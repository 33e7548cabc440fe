using System.Text.Json;
using Lodestar.Analytics.Experiments;
using Lodestar.Analytics.Planning;
using Lodestar.Core.Statistics.Api;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Tests;

public sealed class ExperimentResultsTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private ExperimentResultsEngine Engine => new(
        new Execution.DuckDbQueryRunner(_log.Store, _log, _log, Microsoft.Extensions.Logging.Abstractions.NullLogger<Execution.DuckDbQueryRunner>.Instance),
        Options.Create(_log.Settings));

    private EventLog Expose(string person, string variantId, string time, string test = "t1") =>
        _log.Add(person, ExperimentMetricQuery.ExposureEvent, time,
            new { testId = test, variantId, variantName = variantId == "ctl" ? "Control" : "Treatment" });

    /// <summary>
    /// Control (variantId "ctl", named Control): p1 buys twice in the window, p2 only after 9 days, p3 only before exposure.
    /// Treatment ("b"): p4 buys; p5 buys, though exposed to control later; a6 is exposed, then merges into u6, who was
    /// exposed to control later and buys; p7 does nothing. p8 is in another test.
    /// </summary>
    private void Seed()
    {
        Expose("p1", "ctl", "2024-01-01T00:00:00Z");
        _log.Add("p1", "Visit", "2024-01-02T10:00:00Z")
            .Add("p1", "Purchase", "2024-01-03T00:00:00Z", new { revenue = 10 })
            .Add("p1", "Purchase", "2024-01-04T00:00:00Z", new { revenue = 5 });
        Expose("p2", "ctl", "2024-01-01T00:00:00Z");
        _log.Add("p2", "Purchase", "2024-01-10T00:00:00Z", new { revenue = 20 });
        _log.Add("p3", "Purchase", "2024-01-01T12:00:00Z", new { revenue = 7 });
        Expose("p3", "ctl", "2024-01-02T00:00:00Z");

        Expose("p4", "b", "2024-01-01T00:00:00Z");
        _log.Add("p4", "Purchase", "2024-01-02T00:00:00Z", new { revenue = 8 })
            .Add("p4", "Visit", "2024-01-02T01:00:00Z")
            .Add("p4", "Visit", "2024-01-02T02:00:00Z");
        Expose("p5", "b", "2024-01-01T00:00:00Z");
        Expose("p5", "ctl", "2024-01-02T00:00:00Z");
        _log.Add("p5", "Purchase", "2024-01-05T00:00:00Z", new { revenue = 12 });
        Expose("a6", "b", "2024-01-01T00:00:00Z");
        Expose("u6", "ctl", "2024-01-02T00:00:00Z");
        _log.Add("u6", "Purchase", "2024-01-03T00:00:00Z", new { revenue = 4 });
        _log.Merge("a6", "u6");
        Expose("p7", "b", "2024-01-01T00:00:00Z");

        Expose("p8", "ctl", "2024-01-01T00:00:00Z", test: "other");
        _log.Add("p8", "Purchase", "2024-01-02T00:00:00Z", new { revenue = 100 });
    }

    private static ExperimentMetricQuery Query(params (string Key, string Value)[] parameters)
    {
        var map = parameters.ToDictionary(p => p.Key, p => p.Value);
        return ExperimentMetricQuery.Parse("t1", name => map.GetValueOrDefault(name));
    }

    private async Task<ExperimentResults> Run(params (string Key, string Value)[] parameters) =>
        await Engine.AnalyzeAsync(EventLog.App, Query(parameters), default) ?? throw new InvalidOperationException("no exposures");

    private static void AssertRow(VariationRow row, double users, double sum, double sumSquares)
    {
        Assert.Equal(users, row.Users);
        Assert.Equal(sum, row.MainSum);
        Assert.Equal(sumSquares, row.MainSumSquares);
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task Conversion_FirstExposureWins_WindowAndMergeApply_AndMatchesTheEngineOnHandRows()
    {
        Seed();
        var results = await Run(("metric", "conversion"), ("event", "Purchase"), ("window", "7d"), ("engine", "frequentist"));

        Assert.Equal(["ctl", "b"], results.Arms.Select(a => a.VariantId)); // Control first, though "b" sorts before "ctl"
        Assert.Equal("Control", results.Arms[0].VariantName);
        AssertRow(results.Arms[0].Row, users: 3, sum: 1, sumSquares: 1); // p1 only (p2 too late, p3 before exposure)
        AssertRow(results.Arms[1].Row, users: 4, sum: 3, sumSquares: 1 + 1 + 1); // p4, p5, u6 (merged from a6)

        var hand = StatisticsRequestHandler.Analyze(new AnalyzeRequest
        {
            Metric = new MetricSettings { StatisticType = "mean", MainMetricType = "binomial" },
            Settings = new AnalysisSettings { StatsEngine = "frequentist" },
            Variations = [new VariationRow { Users = 3, MainSum = 1, MainSumSquares = 1 }, new VariationRow { Users = 4, MainSum = 3, MainSumSquares = 3 }],
        });
        Assert.NotNull(results.Analysis.Value);
        Assert.Equal(Json(hand.Value!), Json(results.Analysis.Value!));
        Assert.Equal(0.75, results.Analysis.Value!.Variations[1].Cr!.Value, 12);
        Assert.NotNull(results.Analysis.Value.Variations[1].PValue);
    }

    [Fact]
    public async Task Count_CountsEventsInTheWindowPerPerson()
    {
        Seed();
        var results = await Run(("metric", "count"), ("event", "Purchase"), ("window", "7d"));

        AssertRow(results.Arms[0].Row, users: 3, sum: 2, sumSquares: 4); // p1: 2
        AssertRow(results.Arms[1].Row, users: 4, sum: 3, sumSquares: 3);
        var hand = StatisticsRequestHandler.Analyze(new AnalyzeRequest
        {
            Metric = new MetricSettings(),
            Variations = [new VariationRow { Users = 3, MainSum = 2, MainSumSquares = 4 }, new VariationRow { Users = 4, MainSum = 3, MainSumSquares = 3 }],
        });
        Assert.Equal(Json(hand.Value!), Json(results.Analysis.Value!));
    }

    [Fact]
    public async Task Sum_OfAPropertyWithoutWindow_IsRevenuePerPersonAfterExposure()
    {
        Seed();
        var results = await Run(("metric", "sum"), ("event", "Purchase"), ("property", "revenue"));

        AssertRow(results.Arms[0].Row, users: 3, sum: 35, sumSquares: 15 * 15 + 20 * 20); // p3's 7 was before exposure
        AssertRow(results.Arms[1].Row, users: 4, sum: 24, sumSquares: 64 + 144 + 16);
    }

    [Fact]
    public async Task Ratio_GivesDeltaMethodRows()
    {
        Seed();
        var results = await Run(("metric", "ratio"), ("event", "Purchase"), ("denominatorEvent", "Visit"), ("window", "7d"));

        var control = results.Arms[0].Row;
        Assert.Equal([3.0, 2, 4, 1, 1, 2], new[] { control.Users!.Value, control.MainSum!.Value, control.MainSumSquares!.Value, control.DenominatorSum!.Value, control.DenominatorSumSquares!.Value, control.MainDenominatorSumProduct!.Value });
        var treatment = results.Arms[1].Row;
        Assert.Equal([4.0, 3, 3, 2, 4, 2], new[] { treatment.Users!.Value, treatment.MainSum!.Value, treatment.MainSumSquares!.Value, treatment.DenominatorSum!.Value, treatment.DenominatorSumSquares!.Value, treatment.MainDenominatorSumProduct!.Value });
        Assert.NotNull(results.Analysis.Value);
    }

    [Fact]
    public async Task Retention_DayOne_IgnoresLaterExposuresAndOtherDays()
    {
        Seed();
        var results = await Run(("metric", "retention"), ("day", "1"));

        AssertRow(results.Arms[0].Row, users: 3, sum: 1, sumSquares: 1); // p1's visit on day 1
        AssertRow(results.Arms[1].Row, users: 4, sum: 1, sumSquares: 1); // p4 (p5's second exposure does not count)
    }

    [Fact]
    public async Task Cuped_CovariateIsTheMetricBeforeExposure_AndVariantsParameterOrdersArms()
    {
        Seed();
        var results = await Run(("metric", "conversion"), ("event", "Purchase"), ("window", "7d"), ("cuped", "true"), ("preWindow", "14d"), ("variants", "b,ctl"));

        Assert.Equal(["b", "ctl"], results.Arms.Select(a => a.VariantId));
        var control = results.Arms[1].Row;
        Assert.Equal(1, control.CovariateSum); // p3 bought before exposure
        Assert.Equal(1, control.CovariateSumSquares);
        Assert.Equal(0, control.MainCovariateSumProduct);
        Assert.Equal(0, results.Arms[0].Row.CovariateSum);
        Assert.True(results.Request.Settings!.RegressionAdjusted);
    }

    [Fact]
    public async Task Daily_GivesTheResultAsItStoodAtEachDayEnd()
    {
        Seed();
        var points = await Engine.DailyAsync(EventLog.App, Query(("metric", "conversion"), ("event", "Purchase"), ("window", "7d")), default);

        Assert.NotNull(points);
        Assert.Equal(10, points.Count); // Jan 1 (first exposure) to Jan 10 (p2's purchase)
        Assert.Equal(EventLog.T("2024-01-02T00:00:00Z"), points[0].At);
        Assert.All(points, p => Assert.Equal(["ctl", "b"], p.Arms.Select(a => a.VariantId)));
        AssertRow(points[0].Arms[0].Row, users: 2, sum: 0, sumSquares: 0); // p3 not yet exposed, p1 not yet bought
        AssertRow(points[0].Arms[1].Row, users: 4, sum: 0, sumSquares: 0); // p4's purchase is at the day end itself
        AssertRow(points[1].Arms[0].Row, users: 3, sum: 0, sumSquares: 0);
        AssertRow(points[1].Arms[1].Row, users: 4, sum: 1, sumSquares: 1);
        AssertRow(points[^1].Arms[0].Row, users: 3, sum: 1, sumSquares: 1);
        AssertRow(points[^1].Arms[1].Row, users: 4, sum: 3, sumSquares: 3);
        var overall = await Run(("metric", "conversion"), ("event", "Purchase"), ("window", "7d"));
        Assert.Equal(Json(overall.Analysis.Value!), Json(points[^1].Analysis.Value!));
    }

    [Fact]
    public async Task NoExposures_GivesNull()
    {
        Seed();
        var query = ExperimentMetricQuery.Parse("missing", name => name == "metric" ? "count" : name == "event" ? "Purchase" : null);
        Assert.Null(await Engine.AnalyzeAsync(EventLog.App, query, default));
    }

    [Theory]
    [InlineData("metric", "bogus", "metric")]
    [InlineData("event", "", "event")]
    [InlineData("window", "7x", "window")]
    [InlineData("alpha", "2", "alpha")]
    [InlineData("engine", "magic", "engine")]
    public void Parse_NamesTheBadParameter(string key, string value, string field)
    {
        var map = new Dictionary<string, string> { ["metric"] = "conversion", ["event"] = "Purchase", [key] = value };
        var ex = Assert.Throws<QueryValidationException>(() => ExperimentMetricQuery.Parse("t1", name => map.GetValueOrDefault(name)));
        Assert.Equal(field, ex.Field);
    }
}
