using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

/// <summary>
/// Paths rank a person's events by time alone and recompute the persons with equal times among the nearest ones by
/// (time, arrival): equal timestamps must still order by arrival, at the anchor, inside the path and at its end.
/// </summary>
public sealed class PathsReferenceTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private static readonly DateTimeOffset From = EventLog.T("2024-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = EventLog.T("2024-01-02T00:00:00Z");

    private void TiedJourneys()
    {
        // q1: Z and Y share 10:01 (Z arrived first), X comes later although it arrived before both.
        _log.Add("q1", "Home", "2024-01-01T10:00:00Z").Add("q1", "X", "2024-01-01T10:05:00Z")
            .Add("q1", "Z", "2024-01-01T10:01:00Z").Add("q1", "Y", "2024-01-01T10:01:00Z");
        // q2: two Home events and a B at the same instant, in arrival order Home, B, Home; an A before them.
        _log.Add("q2", "Home", "2024-01-01T10:00:00Z").Add("q2", "B", "2024-01-01T10:00:00Z")
            .Add("q2", "Home", "2024-01-01T10:00:00Z").Add("q2", "A", "2024-01-01T09:00:00Z");
    }

    [Fact]
    public async Task Paths_FromStart_EqualTimestampsOrderByArrival()
    {
        TiedJourneys();
        var result = await _log.Engine.PathsAsync(EventLog.App, new PathsQuery { StartEvent = "Home", Depth = 3, From = From, To = To }, default);

        // q1: Home, Z, Y (X is fourth); q2: the first Home by arrival, then B, then the second Home.
        Assert.Equal(["0:Home=2", "1:B=1", "1:Z=1", "2:Home=1", "2:Y=1"], result.Nodes.Select(n => $"{n.Id}={n.Persons}"));
        Assert.Equal(["0:Home>1:B=1", "0:Home>1:Z=1", "1:B>2:Home=1", "1:Z>2:Y=1"], result.Links.Select(l => $"{l.Source}>{l.Target}={l.Persons}"));
    }

    [Fact]
    public async Task Paths_FromStart_TieAtTheLastStep_KeepsTheEarlierArrival()
    {
        TiedJourneys();
        var result = await _log.Engine.PathsAsync(EventLog.App, new PathsQuery { StartEvent = "Home", Depth = 2, From = From, To = To }, default);

        Assert.Equal(["0:Home=2", "1:B=1", "1:Z=1"], result.Nodes.Select(n => $"{n.Id}={n.Persons}"));
    }

    [Fact]
    public async Task Paths_ToEnd_EqualTimestampsOrderByArrival()
    {
        TiedJourneys();
        var result = await _log.Engine.PathsAsync(EventLog.App, new PathsQuery { EndEvent = "Home", Depth = 3, From = From, To = To }, default);

        // q1 ends at its only Home, nothing before it; q2 at the later Home by arrival: Home, B, Home (A is fourth back).
        Assert.Equal(["0:Home=1", "1:B=1", "2:Home=2"], result.Nodes.Select(n => $"{n.Id}={n.Persons}"));
    }

    /// <summary>Random histories on a coarse clock (many equal timestamps), shuffled arrival, merges, an excluded name.</summary>
    [Theory]
    [InlineData(1, true, 3)]
    [InlineData(2, false, 4)]
    [InlineData(3, true, 2)]
    [InlineData(4, false, 3)]
    public async Task Paths_MatchBruteForceReference_OnRandomTiedHistories(int seed, bool fromStart, int depth)
    {
        var random = new Random(seed);
        var rows = new List<(string Person, string Name, DateTimeOffset Time)>();
        for (int p = 0; p < 60; p++)
        {
            int count = random.Next(0, 12);
            for (int i = 0; i < count; i++)
                rows.Add(($"r{p:00}", "ABCDE"[random.Next(5)].ToString(), From.AddMinutes(random.Next(-2, 8) * 30)));
        }

        foreach (var (person, name, time) in rows.OrderBy(_ => random.Next())) _log.Add(person, name, time.ToString("O"));
        for (int p = 0; p < 60; p += 5) _log.Merge($"r{p:00}", $"r{p + 1:00}");
        _log.Merge("r01", "r02");

        var query = new PathsQuery
        {
            StartEvent = fromStart ? "A" : null, EndEvent = fromStart ? null : "A", Depth = depth, MaxNodesPerStep = 100,
            Exclude = ["E"], From = From, To = From.AddHours(3),
        };
        var result = await _log.Engine.PathsAsync(EventLog.App, query, default);

        var expected = new Dictionary<string, long>();
        int tied = 0;
        foreach (var person in _log.Events.GroupBy(e => _log.PersonOf(e.Person)))
        {
            var events = person.Where(e => e.Time >= query.From && e.Time <= query.To && e.Name != "E")
                .OrderBy(e => e.Time).ThenBy(e => e.Seq).ToList();
            if (!fromStart) events.Reverse();
            int anchor = events.FindIndex(e => e.Name == "A");
            if (anchor < 0) continue;
            var path = events.Skip(anchor).Take(depth).ToList();
            if (path.Select(e => e.Time).Distinct().Count() < path.Count) tied++;
            if (!fromStart) path.Reverse();
            for (int i = 0; i < path.Count; i++)
            {
                string id = $"{(fromStart ? i : depth - path.Count + i)}:{path[i].Name}";
                expected[id] = expected.GetValueOrDefault(id) + 1;
            }
        }

        Assert.True(tied > 5, "the random history should put equal timestamps inside paths");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"),
            result.Nodes.Select(n => $"{n.Id}={n.Persons}").Order(StringComparer.Ordinal));
    }
}
