using System.Globalization;
using System.Text.Json;
using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class TrendsTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private static TrendsQuery Daily(string math, string? property = null, params EventFilter[] filters) => new()
    {
        Series = [new TrendSeries { Event = "Purchase", Math = math, Property = property, Filters = filters }],
        Interval = "day",
        From = EventLog.T("2024-01-01T00:00:00Z"),
        To = EventLog.T("2024-01-03T23:59:59Z"),
    };

    private void Purchases()
    {
        _log.Add("p1", "Purchase", "2024-01-01T10:00:00Z", new { price = 1, currency = "EUR", tag = "Summer Sale" }, value: 10);
        _log.Add("p1", "Purchase", "2024-01-01T11:00:00Z", new { price = 2, currency = "USD" }, value: 20);
        _log.Add("p2", "Purchase", "2024-01-01T12:00:00Z", new { price = 3, currency = "EUR", vip = true }, value: 30);
        _log.Add("p2", "Purchase", "2024-01-02T12:00:00Z", new { price = 4 }, value: 40);
        _log.Add("p2", "View", "2024-01-02T12:00:00Z");
        _log.Add("p3", "Purchase", "2024-01-02T13:00:00Z", @internal: true);
    }

    private async Task<double?[]> Values(TrendsQuery query) =>
        (await _log.Engine.TrendsAsync(EventLog.App, query, default)).Series.Single().Points.Select(p => p.Value).ToArray();

    [Theory]
    [InlineData("total", null, new[] { 3.0, 1, 0 })]
    [InlineData("uniques", null, new[] { 2.0, 1, 0 })]
    [InlineData("sum", null, new[] { 60.0, 40, 0 })]
    [InlineData("sum", "price", new[] { 6.0, 4, 0 })]
    [InlineData("avg", null, new[] { 20.0, 40, double.NaN })]
    [InlineData("min", null, new[] { 10.0, 40, double.NaN })]
    [InlineData("max", null, new[] { 30.0, 40, double.NaN })]
    [InlineData("median", null, new[] { 20.0, 40, double.NaN })]
    [InlineData("p90", null, new[] { 28.0, 40, double.NaN })] // [10, 20, 30]: rank 1.8 → 20 + 0.8 × 10
    [InlineData("perUserAvg", null, new[] { 1.5, 1, double.NaN })]
    public async Task Trend_Maths_PerDay(string math, string? property, double[] expected)
    {
        Purchases();
        var values = await Values(Daily(math, property));
        Assert.Equal(expected.Select(e => double.IsNaN(e) ? (double?)null : e), values);
    }

    [Fact]
    public async Task Trend_WeightedScore_UsesValuesElseWeights()
    {
        _log.Define("Login", 2.5);
        _log.Add("w1", "Login", "2024-01-01T10:00:00Z").Add("w1", "Login", "2024-01-01T11:00:00Z").Add("w1", "Login", "2024-01-02T11:00:00Z", value: 7);
        var query = Daily("weightedScore") with { Series = [new TrendSeries { Event = "Login", Math = "weightedScore" }] };
        Assert.Equal(new double?[] { 5, 7, 0 }, await Values(query));

        _log.Add("w1", "Other", "2024-01-01T12:00:00Z");
        var any = Daily("weightedScore") with { Series = [new TrendSeries { Event = "$any", Math = "weightedScore" }] };
        Assert.Equal(new double?[] { 6, 7, 0 }, await Values(any)); // Other has no definition: worth 1
    }

    public static TheoryData<string, string, string, double[]> FilterCases => new()
    {
        { "currency", "eq", "\"EUR\"", [2, 0, 0] },
        { "currency", "neq", "\"EUR\"", [1, 1, 0] },          // a missing property is "not EUR"
        { "price", "gt", "2", [1, 1, 0] },
        { "price", "gte", "2", [2, 1, 0] },
        { "price", "lt", "2", [1, 0, 0] },
        { "price", "lte", "3", [3, 0, 0] },
        { "tag", "contains", "\"summer\"", [1, 0, 0] },       // case-insensitive
        { "tag", "notContains", "\"summer\"", [2, 1, 0] },
        { "currency", "in", "[\"USD\", \"GBP\"]", [1, 0, 0] },
        { "price", "notIn", "[1, 4]", [2, 0, 0] },
        { "vip", "eq", "true", [1, 0, 0] },
        { "currency", "isSet", "null", [3, 0, 0] },
        { "currency", "isNotSet", "null", [0, 1, 0] },
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public async Task Trend_PropertyFilters_AreTyped(string property, string op, string value, double[] expected)
    {
        Purchases();
        var filter = new EventFilter { Property = property, Operator = op, Value = JsonDocument.Parse(value).RootElement.Clone() };
        Assert.Equal(expected.Select(e => (double?)e), await Values(Daily("total", null, filter)));
    }

    [Fact]
    public async Task Trend_AttributeFilter_UsesThePersonsAttributes()
    {
        Purchases();
        _log.Attribute("p1", "age", 41).Attribute("p2", "age", 29);
        var filter = new EventFilter { Attribute = "age", Operator = "gte", Value = JsonDocument.Parse("30").RootElement.Clone() };
        Assert.Equal(new double?[] { 2, 0, 0 }, await Values(Daily("total", null, filter)));
    }

    [Fact]
    public async Task Trend_AttributeMirror_IsReusedAndRefreshedWhenProfilesChange()
    {
        Purchases();
        _log.Attribute("p1", "age", 41).Attribute("p2", "age", 29);
        var filter = new EventFilter { Attribute = "age", Operator = "gte", Value = JsonDocument.Parse("30").RootElement.Clone() };
        Assert.Equal(new double?[] { 2, 0, 0 }, await Values(Daily("total", null, filter)));
        Assert.Equal(new double?[] { 2, 0, 0 }, await Values(Daily("total", null, filter))); // from the mirror, on another connection

        _log.Attribute("p2", "age", 30);
        Assert.Equal(new double?[] { 3, 1, 0 }, await Values(Daily("total", null, filter)));
    }

    [Fact]
    public async Task Trend_Breakdown_KeepsTop25AndFoldsTheRestIntoOther()
    {
        // Country k gets 27 − k events: c00 has 27, …, c26 has 1.
        for (int k = 0; k < 27; k++)
        {
            for (int i = 0; i < 27 - k; i++) _log.Add($"u{k}_{i}", "Purchase", "2024-01-01T10:00:00Z", new { country = $"c{k:00}" });
        }

        var query = Daily("total") with { Breakdown = new Breakdown { Property = "country" } };
        var series = (await _log.Engine.TrendsAsync(EventLog.App, query, default)).Series;

        Assert.Equal(26, series.Count);
        Assert.Equal("c00", series[0].BreakdownValue);
        Assert.Equal(27, series[0].Points[0].Value);
        Assert.Equal("c24", series[24].BreakdownValue);
        Assert.True(series[25].IsOther);
        Assert.Equal(3, series[25].Points[0].Value); // c25 (2) + c26 (1)
    }

    [Fact]
    public async Task Trend_DailyInNewYorkAcrossDst_BucketsByLocalDay()
    {
        _log.Add("z", "Purchase", "2024-03-10T04:30:00Z"); // Mar 9, 23:30 EST
        _log.Add("z", "Purchase", "2024-03-10T05:30:00Z"); // Mar 10, 00:30 EST
        _log.Add("z", "Purchase", "2024-03-11T03:30:00Z"); // Mar 10, 23:30 EDT
        _log.Add("z", "Purchase", "2024-03-11T04:30:00Z"); // Mar 11, 00:30 EDT
        var query = Daily("total") with { Timezone = "America/New_York", From = EventLog.T("2024-03-09T05:00:00Z"), To = EventLog.T("2024-03-12T03:59:59Z") };
        var points = (await _log.Engine.TrendsAsync(EventLog.App, query, default)).Series.Single().Points;

        Assert.Equal(new double?[] { 1, 2, 1 }, points.Select(p => p.Value));
        Assert.Equal(["2024-03-09T00:00:00-05:00", "2024-03-10T00:00:00-05:00", "2024-03-11T00:00:00-04:00"],
            points.Select(p => p.T.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Trend_HourlyInBerlinAcrossDstEnd_HasTheRepeatedHourOnce()
    {
        // Oct 27 2024: 03:00 CEST → 02:00 CET; 00:30Z and 01:30Z are both local 02:30.
        _log.Add("h", "Purchase", "2024-10-27T00:30:00Z").Add("h", "Purchase", "2024-10-27T01:30:00Z").Add("h", "Purchase", "2024-10-27T02:30:00Z");
        var query = Daily("total") with { Interval = "hour", Timezone = "Europe/Berlin", From = EventLog.T("2024-10-27T00:00:00Z"), To = EventLog.T("2024-10-27T02:59:59Z") };
        var points = (await _log.Engine.TrendsAsync(EventLog.App, query, default)).Series.Single().Points;

        Assert.Equal(new double?[] { 2, 1 }, points.Select(p => p.Value)); // local 02:00 (twice) and 03:00
    }

    [Fact]
    public async Task Trend_EmptyRange_IsAllZeros()
    {
        var points = (await _log.Engine.TrendsAsync(EventLog.App, Daily("total"), default)).Series.Single().Points;
        Assert.Equal(new double?[] { 0, 0, 0 }, points.Select(p => p.Value));
    }

    [Fact]
    public async Task Trend_UniquesCountMergedPersonsOnce()
    {
        _log.Add("anon", "Purchase", "2024-01-01T10:00:00Z").Add("user", "Purchase", "2024-01-01T11:00:00Z").Merge("anon", "user");
        Assert.Equal(new double?[] { 1, 0, 0 }, await Values(Daily("uniques")));
    }

    [Fact]
    public async Task Trend_CompareToPrevious_AddsThePeriodsBefore()
    {
        _log.Add("p", "Purchase", "2023-12-29T10:00:00Z").Add("p", "Purchase", "2023-12-31T10:00:00Z").Add("p", "Purchase", "2023-12-31T11:00:00Z");
        _log.Add("p", "Purchase", "2024-01-02T10:00:00Z");
        var series = (await _log.Engine.TrendsAsync(EventLog.App, Daily("total") with { CompareToPrevious = true }, default)).Series;

        Assert.Equal(2, series.Count);
        Assert.True(series[1].IsPrevious);
        Assert.Equal(new double?[] { 1, 0, 2 }, series[1].Points.Select(p => p.Value));
        Assert.Equal(EventLog.T("2023-12-29T00:00:00Z"), series[1].Points[0].T);
    }
}
