using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class RetentionTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private void DailyHistory()
    {
        _log.Add("c1", "Signup", "2024-01-01T10:00:00Z").Add("c1", "Open", "2024-01-02T10:00:00Z").Add("c1", "Open", "2024-01-04T10:00:00Z");
        _log.Add("c2", "Signup", "2024-01-01T11:00:00Z").Add("c2", "Open", "2024-01-03T08:00:00Z");
        // Returns on the day of the start do not count; the next day is period 1.
        _log.Add("c3", "Open", "2024-01-03T07:00:00Z").Add("c3", "Signup", "2024-01-02T09:00:00Z").Add("c3", "Open", "2024-01-02T20:00:00Z");
        // First signup before the range: in no cohort, though it signs up again inside.
        _log.Add("c4", "Signup", "2023-12-31T10:00:00Z").Add("c4", "Signup", "2024-01-02T10:00:00Z").Add("c4", "Open", "2024-01-03T10:00:00Z");
    }

    private static RetentionQuery Daily(string mode) => new()
    {
        StartEvent = "Signup",
        ReturnEvent = "$any",
        Interval = "day",
        Periods = 3,
        Mode = mode,
        From = EventLog.T("2024-01-01T00:00:00Z"),
        To = EventLog.T("2024-01-04T23:59:59Z"),
    };

    [Fact]
    public async Task Retention_On_CountsReturnsInExactlyPeriodK()
    {
        DailyHistory();
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("on"), default);

        Assert.Equal(4, result.Cohorts.Count);
        Assert.Equal(new long[] { 2, 1, 1, 1 }, result.Cohorts[0].Retained);
        Assert.Equal(new long[] { 1, 1, 0 }, result.Cohorts[1].Retained);
        Assert.Equal(new long[] { 0, 0 }, result.Cohorts[2].Retained);
        Assert.Equal(new long[] { 0 }, result.Cohorts[3].Retained);
        Assert.Equal(EventLog.T("2024-01-02T00:00:00Z"), result.Cohorts[1].Start);
        Assert.Equal(1, result.Cohorts[1].Size);
    }

    [Fact]
    public async Task Retention_OnOrAfter_CountsReturnsInPeriodKOrLater()
    {
        DailyHistory();
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("onOrAfter"), default);

        Assert.Equal(new long[] { 2, 2, 2, 1 }, result.Cohorts[0].Retained);
        Assert.Equal(new long[] { 1, 1, 0 }, result.Cohorts[1].Retained);
    }

    [Fact]
    public async Task Retention_NamedReturnEvent_IgnoresOtherEvents()
    {
        DailyHistory();
        _log.Add("c2", "Other", "2024-01-02T08:00:00Z");
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("on") with { ReturnEvent = "Open" }, default);
        Assert.Equal(new long[] { 2, 1, 1, 1 }, result.Cohorts[0].Retained);
    }

    [Fact]
    public async Task Retention_FirstSeen_UsesTheFirstEventOfAnyKind_WithMergedHistory()
    {
        _log.Add("anon", "View", "2024-01-01T10:00:00Z");
        _log.Add("user", "Signup", "2024-01-02T10:00:00Z").Add("user", "View", "2024-01-03T10:00:00Z");
        _log.Merge("anon", "user");
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("on") with { StartEvent = "$firstSeen" }, default);

        // One person, first seen on Jan 1 (the anonymous history), back on Jan 2 and Jan 3.
        Assert.Equal(new long[] { 1, 1, 1, 0 }, result.Cohorts[0].Retained);
        Assert.Equal(0, result.Cohorts[1].Size);
    }

    [Fact]
    public async Task Retention_InNewYorkAcrossDstStart_UsesLocalDays()
    {
        // 03:00Z on Mar 10 is 22:00 EST on Mar 9; 05:30Z is 00:30 EST on Mar 10: the next local day.
        _log.Add("n1", "Signup", "2024-03-10T03:00:00Z").Add("n1", "Open", "2024-03-10T05:30:00Z");
        // 04:30Z on Mar 11 is 00:30 EDT on Mar 11 (after the switch); with the winter offset it would be Mar 10.
        _log.Add("n2", "Signup", "2024-03-11T04:30:00Z");
        var query = new RetentionQuery
        {
            StartEvent = "Signup", ReturnEvent = "Open", Interval = "day", Periods = 2, Timezone = "America/New_York",
            From = EventLog.T("2024-03-09T05:00:00Z"), To = EventLog.T("2024-03-12T03:59:59Z"),
        };
        var ny = await _log.Engine.RetentionAsync(EventLog.App, query, default);

        Assert.Equal(["2024-03-09T00:00:00-05:00", "2024-03-10T00:00:00-05:00", "2024-03-11T00:00:00-04:00"],
            ny.Cohorts.Select(c => c.Start.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(new long[] { 1, 1, 0 }, ny.Cohorts[0].Retained);
        Assert.Equal(new long[] { 1 }, ny.Cohorts[2].Retained);

        var utc = await _log.Engine.RetentionAsync(EventLog.App, query with { Timezone = null }, default);
        // In UTC both of n1's events fall on Mar 10: no return in period 1.
        var mar10 = utc.Cohorts.Single(c => c.Start == EventLog.T("2024-03-10T00:00:00Z"));
        Assert.Equal(new long[] { 1, 0, 0 }, mar10.Retained);
    }

    [Fact]
    public async Task Retention_EmptyRange_GivesEmptyCohorts()
    {
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("on"), default);
        Assert.Equal(4, result.Cohorts.Count);
        Assert.All(result.Cohorts, c => Assert.Equal(0, c.Size));
    }

    [Fact]
    public async Task Retention_BreakdownByAttribute_SplitsCohorts()
    {
        DailyHistory();
        _log.Attribute("c1", "plan", "pro").Attribute("c2", "plan", "free").Attribute("c3", "plan", "pro");
        var result = await _log.Engine.RetentionAsync(EventLog.App, Daily("on") with { Breakdown = new Breakdown { Attribute = "plan" } }, default);

        var jan1 = result.Cohorts.Where(c => c.Start == EventLog.T("2024-01-01T00:00:00Z")).ToDictionary(c => c.BreakdownValue!);
        Assert.Equal(new long[] { 1, 1, 0, 1 }, jan1["pro"].Retained);
        Assert.Equal(new long[] { 1, 0, 1, 0 }, jan1["free"].Retained);
    }
}
