using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class LifecyclePathsTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Lifecycle_SplitsNewReturningResurrectingDormant()
    {
        _log.Add("l1", "Open", "2024-01-01T10:00:00Z").Add("l1", "Open", "2024-01-02T10:00:00Z").Add("l1", "Open", "2024-01-04T10:00:00Z");
        _log.Add("l2", "Open", "2023-12-29T10:00:00Z").Add("l2", "Open", "2024-01-02T10:00:00Z");
        _log.Add("l3", "Open", "2023-12-31T10:00:00Z");
        var query = new LifecycleQuery { Interval = "day", From = EventLog.T("2024-01-01T00:00:00Z"), To = EventLog.T("2024-01-04T23:59:59Z") };
        var periods = (await _log.Engine.LifecycleAsync(EventLog.App, query, default)).Periods;

        Assert.Equal(4, periods.Count);
        Assert.Equal(new LifecyclePeriod(EventLog.T("2024-01-01T00:00:00Z"), 1, 0, 0, 1), periods[0]);
        Assert.Equal(new LifecyclePeriod(EventLog.T("2024-01-02T00:00:00Z"), 0, 1, 1, 0), periods[1]);
        Assert.Equal(new LifecyclePeriod(EventLog.T("2024-01-03T00:00:00Z"), 0, 0, 0, 2), periods[2]);
        Assert.Equal(new LifecyclePeriod(EventLog.T("2024-01-04T00:00:00Z"), 0, 0, 1, 0), periods[3]);
    }

    private void Journeys()
    {
        _log.Add("p1", "Home", "2024-01-01T10:00:00Z").Add("p1", "Search", "2024-01-01T10:01:00Z").Add("p1", "Buy", "2024-01-01T10:02:00Z");
        _log.Add("p2", "Search", "2024-01-01T10:01:00Z").Add("p2", "Home", "2024-01-01T10:02:00Z").Add("p2", "Home", "2024-01-01T10:00:00Z");
        _log.Add("p3", "Home", "2024-01-01T10:00:00Z").Add("p3", "Ping", "2024-01-01T10:00:30Z").Add("p3", "Cart", "2024-01-01T10:01:00Z");
        _log.Add("p4", "Search", "2024-01-01T10:00:00Z");
    }

    [Fact]
    public async Task Paths_FromStart_FoldsRareEventsIntoOther()
    {
        Journeys();
        var query = new PathsQuery
        {
            StartEvent = "Home", Depth = 3, MaxNodesPerStep = 1, Exclude = ["Ping"],
            From = EventLog.T("2024-01-01T00:00:00Z"), To = EventLog.T("2024-01-02T00:00:00Z"),
        };
        var result = await _log.Engine.PathsAsync(EventLog.App, query, default);

        Assert.Equal(["0:Home=3", "1:Search=2", "1:other=1", "2:Buy=1", "2:other=1"], result.Nodes.Select(n => $"{n.Id}={n.Persons}"));
        Assert.Equal(["0:Home>1:Search=2", "0:Home>1:other=1", "1:Search>2:Buy=1", "1:Search>2:other=1"],
            result.Links.Select(l => $"{l.Source}>{l.Target}={l.Persons}"));
    }

    [Fact]
    public async Task Paths_ToEnd_EndAtTheLastStep()
    {
        Journeys();
        var query = new PathsQuery { EndEvent = "Buy", Depth = 3, From = EventLog.T("2024-01-01T00:00:00Z"), To = EventLog.T("2024-01-02T00:00:00Z") };
        var result = await _log.Engine.PathsAsync(EventLog.App, query, default);

        Assert.Equal(["0:Home=1", "1:Search=1", "2:Buy=1"], result.Nodes.Select(n => $"{n.Id}={n.Persons}"));
    }

    [Fact]
    public async Task EngagementScore_SumsValuesElseWeights_OverMergedHistory()
    {
        _log.Define("Login", 2.5);
        _log.Add("u", "Login", "2024-01-01T10:00:00Z").Add("u", "Login", "2024-01-02T10:00:00Z").Add("u", "Purchase", "2024-01-02T11:00:00Z", value: 10);
        _log.Add("u", "Other", "2024-01-02T12:00:00Z").Add("u", "$identify", "2024-01-02T12:00:00Z", @internal: true);
        _log.Add("anon", "Login", "2023-12-31T10:00:00Z").Merge("anon", "u");

        Assert.Equal(2.5 * 3 + 10 + 1, await _log.Engine.EngagementScoreAsync(EventLog.App, "u", default));
    }
}
