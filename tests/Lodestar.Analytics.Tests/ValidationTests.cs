using System.Text.Json;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class ValidationTests
{
    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = EventLog.T("2024-01-31T00:00:00Z");

    private static string FieldOf(Action plan) => Assert.Throws<QueryValidationException>(plan).Field;

    [Fact]
    public void UnknownOperator_NamesTheField()
    {
        var query = new TrendsQuery
        {
            From = From, To = To,
            Series = [new TrendSeries { Event = "E", Filters = [new EventFilter { Property = "x", Operator = "like", Value = JsonDocument.Parse("1").RootElement }] }],
        };
        Assert.Equal("series[0].filters[0].operator", FieldOf(() => QueryPlanner.Plan(query)));
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("-1h")]
    [InlineData("7x")]
    public void FunnelWindow_NotAPositiveDuration_IsRefused(string window)
    {
        var query = new FunnelQuery { From = From, To = To, Window = window, Steps = [new FunnelStep { Event = "A" }, new FunnelStep { Event = "B" }] };
        Assert.Equal("window", FieldOf(() => QueryPlanner.Plan(query)));
    }

    [Fact]
    public void FromAfterTo_IsRefused() =>
        Assert.Equal("from", FieldOf(() => QueryPlanner.Plan(new FunnelQuery { From = To, To = From, Steps = [new FunnelStep { Event = "A" }] })));

    [Fact]
    public void MoreThanTenFunnelSteps_IsRefused() =>
        Assert.Equal("steps", FieldOf(() => QueryPlanner.Plan(new FunnelQuery
        {
            From = From, To = To, Steps = Enumerable.Range(0, 11).Select(i => new FunnelStep { Event = "E" + i }).ToList(),
        })));

    [Fact]
    public void TooManyPoints_IsRefused()
    {
        var hourly = new TrendsQuery { From = From, To = From.AddDays(420), Interval = "hour", Series = [new TrendSeries { Event = "E" }] };
        Assert.Equal("interval", FieldOf(() => QueryPlanner.Plan(hourly)));
        // 10,000 hours exactly fits.
        QueryPlanner.Plan(hourly with { To = From.AddHours(9_999) });
    }

    [Fact]
    public void UnknownTimezoneAndMath_AreRefused()
    {
        var query = new TrendsQuery { From = From, To = To, Timezone = "Mars/Olympus", Series = [new TrendSeries { Event = "E" }] };
        Assert.Equal("timezone", FieldOf(() => QueryPlanner.Plan(query)));
        Assert.Equal("series[0].math", FieldOf(() => QueryPlanner.Plan(query with { Timezone = null, Series = [new TrendSeries { Event = "E", Math = "mode" }] })));
    }

    [Fact]
    public void ExclusionStepsOutOfRange_AreRefused()
    {
        var query = new FunnelQuery
        {
            From = From, To = To, Steps = [new FunnelStep { Event = "A" }, new FunnelStep { Event = "B" }],
            Exclusions = [new FunnelExclusion { Event = "X", BetweenSteps = [1, 2] }],
        };
        Assert.Equal("exclusions[0].betweenSteps", FieldOf(() => QueryPlanner.Plan(query)));
    }
}
