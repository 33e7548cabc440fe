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

    /// <summary>
    /// Platform on the exposure. ios: ctl i1 buys, i2, i3 do not; b i4, i5 buy, i6 does not. android: ctl a1, a2 buy,
    /// a3 does not; b a4 does not, a5, a6, a7 buy (a7's later exposure says ios: the first exposure's platform wins).
    /// </summary>
    [Fact]
    public async Task Breakdown_RunsTheEnginePerValue_AndCorrectsAcrossAllValuesAndArms()
    {
        void Person(string id, string variant, string platform, bool buys)
        {
            _log.Add(id, ExperimentMetricQuery.ExposureEvent, "2024-01-01T00:00:00Z",
                new { testId = "t1", variantId = variant, variantName = variant == "ctl" ? "Control" : "Treatment", platform });
            if (buys) _log.Add(id, "Purchase", "2024-01-02T00:00:00Z");
        }

        Person("i1", "ctl", "ios", true); Person("i2", "ctl", "ios", false); Person("i3", "ctl", "ios", false);
        Person("i4", "b", "ios", true); Person("i5", "b", "ios", true); Person("i6", "b", "ios", false);
        Person("a1", "ctl", "android", true); Person("a2", "ctl", "android", true); Person("a3", "ctl", "android", false);
        Person("a4", "b", "android", false); Person("a5", "b", "android", true); Person("a6", "b", "android", true); Person("a7", "b", "android", true);
        _log.Add("a7", ExperimentMetricQuery.ExposureEvent, "2024-01-03T00:00:00Z",
            new { testId = "t1", variantId = "b", variantName = "Treatment", platform = "ios" });

        var results = await Run(("metric", "conversion"), ("event", "Purchase"), ("window", "7d"), ("engine", "frequentist"),
            ("correction", "holm-bonferroni"), ("breakdown", "property:platform"));

        AssertRow(results.Arms[0].Row, users: 6, sum: 3, sumSquares: 3); // overall unchanged
        AssertRow(results.Arms[1].Row, users: 7, sum: 5, sumSquares: 5);
        Assert.NotNull(results.Breakdowns);
        Assert.Equal(["android", "ios"], results.Breakdowns.Select(b => b.Value)); // 7 exposed, then 6
        var hands = new (double Control, double Treatment, double TreatmentUsers)[] { (2, 3, 4), (1, 2, 3) };
        var pValues = new double[2];
        for (int b = 0; b < 2; b++)
        {
            var breakdown = results.Breakdowns[b];
            Assert.Equal(["ctl", "b"], breakdown.Arms.Select(a => a.VariantId));
            AssertRow(breakdown.Arms[0].Row, users: 3, sum: hands[b].Control, sumSquares: hands[b].Control);
            AssertRow(breakdown.Arms[1].Row, users: hands[b].TreatmentUsers, sum: hands[b].Treatment, sumSquares: hands[b].Treatment);
            var hand = StatisticsRequestHandler.Analyze(new AnalyzeRequest
            {
                Metric = new MetricSettings { StatisticType = "mean", MainMetricType = "binomial" },
                Settings = new AnalysisSettings { StatsEngine = "frequentist" },
                Variations =
                [
                    new VariationRow { Users = 3, MainSum = hands[b].Control, MainSumSquares = hands[b].Control },
                    new VariationRow { Users = hands[b].TreatmentUsers, MainSum = hands[b].Treatment, MainSumSquares = hands[b].Treatment },
                ],
            });
            pValues[b] = hand.Value!.Variations[1].PValue!.Value;
            Assert.Equal(pValues[b], breakdown.Analysis.Value!.Variations[1].PValue!.Value, 12);
            Assert.Equal(Json(hand.Value.Variations[0]), Json(breakdown.Analysis.Value.Variations[0]));
        }

        // Holm–Bonferroni by hand over the two p-values: the smaller times 2, the larger times 1, running maximum, capped at 1.
        int lo = pValues[0] <= pValues[1] ? 0 : 1, hi = 1 - lo;
        var expected = new double[2];
        expected[lo] = Math.Min(1, 2 * pValues[lo]);
        expected[hi] = Math.Max(expected[lo], Math.Min(1, pValues[hi]));
        for (int b = 0; b < 2; b++)
        {
            var treatment = results.Breakdowns[b].Analysis.Value!.Variations[1];
            Assert.Equal(expected[b], treatment.PValueAdjusted!.Value, 12);
            Assert.NotNull(treatment.CiAdjusted);
        }
    }

    [Fact]
    public async Task Breakdown_KeepsThe25ValuesWithTheMostExposedPersons_FoldsTheRestIntoOther_AndMissingIsNone()
    {
        void Expose(string id, string variant, string? platform) => _log.Add(id, ExperimentMetricQuery.ExposureEvent, "2024-01-01T00:00:00Z",
            platform is null ? new { testId = "t1", variantId = variant } : new { testId = "t1", variantId = variant, platform });

        for (int i = 1; i <= 25; i++) Expose($"p{i}", i % 2 == 0 ? "b" : "ctl", $"v{i:00}");
        Expose("q1", "ctl", "v99");
        Expose("q2", "b", "v99");
        Expose("q3", "b", "v99");
        Expose("n1", "b", null);

        var results = await Run(("metric", "count"), ("event", "Purchase"), ("breakdown", "property:platform"));

        Assert.Equal(29, results.Arms.Sum(a => a.Row.Users!.Value));
        var values = results.Breakdowns!.Select(b => b.Value).ToList();
        Assert.Equal(26, values.Count); // 25 kept values and "other"
        Assert.Equal("v99", values[0]); // 3 exposed persons
        Assert.Contains("(none)", values); // ties (1 person each) are kept by value: "(none)" sorts first
        Assert.DoesNotContain("v24", values);
        Assert.DoesNotContain("v25", values);
        var other = results.Breakdowns!.Single(b => b.Value == "other");
        Assert.Equal(2, other.Arms.Sum(a => a.Row.Users!.Value)); // v24 and v25
        Assert.Equal(results.Arms.Select(a => a.VariantId), other.Arms.Select(a => a.VariantId)); // the overall order
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
    [InlineData("breakdown", "platform", "breakdown")]
    [InlineData("breakdown", "property:", "breakdown")]
    public void Parse_NamesTheBadParameter(string key, string value, string field)
    {
        var map = new Dictionary<string, string> { ["metric"] = "conversion", ["event"] = "Purchase", [key] = value };
        var ex = Assert.Throws<QueryValidationException>(() => ExperimentMetricQuery.Parse("t1", name => map.GetValueOrDefault(name)));
        Assert.Equal(field, ex.Field);
    }
}
