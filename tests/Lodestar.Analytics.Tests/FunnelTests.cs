using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

public sealed class FunnelTests : IDisposable
{
    private readonly EventLog _log = new();

    public void Dispose() => _log.Dispose();

    private static FunnelQuery Funnel(string window, params string[] steps) => new()
    {
        Steps = steps.Select(s => new FunnelStep { Event = s }).ToList(),
        Window = window,
        From = EventLog.T("2024-01-01T00:00:00Z"),
        To = EventLog.T("2024-01-10T00:00:00Z"),
    };

    private async Task<long[]> Persons(FunnelQuery query) =>
        (await _log.Engine.FunnelAsync(EventLog.App, query, default)).Steps.Select(s => s.Persons).ToArray();

    [Fact]
    public async Task Funnel_WithConversionWindow_CountsTheExactBoundaryAndDropsLater()
    {
        _log.Add("p1", "A", "2024-01-01T00:00:00Z").Add("p1", "B", "2024-01-02T00:00:00Z");          // exactly 1 d: in
        _log.Add("p2", "A", "2024-01-01T00:00:00Z").Add("p2", "B", "2024-01-02T00:00:01Z");          // 1 d + 1 s: out
        _log.Add("p3", "A", "2024-01-01T10:00:00Z").Add("p3", "B", "2024-01-01T09:00:00Z");          // B before A
        // Entry is the first A in range; a later A does not restart the window.
        _log.Add("p4", "A", "2024-01-01T00:00:00Z").Add("p4", "A", "2024-01-05T00:00:00Z").Add("p4", "B", "2024-01-05T01:00:00Z");

        var result = await _log.Engine.FunnelAsync(EventLog.App, Funnel("1d", "A", "B"), default);

        Assert.Equal([4L, 1L], result.Steps.Select(s => s.Persons));
        Assert.Equal(0.25, result.Steps[1].ConversionFromStart);
        Assert.Equal(86_400, result.Steps[1].MedianSecondsFromPrevious);
        Assert.Equal(86_400, result.Steps[1].AvgSecondsFromPrevious);
    }

    [Fact]
    public async Task Funnel_EqualTimestampsCountInStepOrder_EvenWhenStoredInReverse()
    {
        // Stored C, B, A (arrival out of order), all at the same instant: in order, since the step index rises.
        _log.Add("q1", "C", "2024-01-02T10:00:00Z").Add("q1", "B", "2024-01-02T10:00:00Z").Add("q1", "A", "2024-01-02T10:00:00Z");
        _log.Add("q2", "B", "2024-01-02T09:00:00Z").Add("q2", "A", "2024-01-02T10:00:00Z").Add("q2", "C", "2024-01-02T11:00:00Z");
        // C happens before B: B counts, C does not.
        _log.Add("q3", "B", "2024-01-02T12:00:00Z").Add("q3", "C", "2024-01-02T11:00:00Z").Add("q3", "A", "2024-01-02T10:00:00Z");

        Assert.Equal(new long[] { 3, 2, 1 }, await Persons(Funnel("7d", "A", "B", "C")));
    }

    [Fact]
    public async Task Funnel_RepeatedSteps_NeedDistinctEvents()
    {
        _log.Add("r1", "Open", "2024-01-02T10:00:00Z").Add("r1", "Open", "2024-01-02T10:00:00Z");
        _log.Add("r2", "Open", "2024-01-02T10:00:00Z").Add("r2", "Open", "2024-01-02T11:00:00Z").Add("r2", "Open", "2024-01-02T12:00:00Z");
        _log.Add("r3", "Open", "2024-01-02T10:00:00Z");

        Assert.Equal(new long[] { 3, 2, 1 }, await Persons(Funnel("1d", "Open", "Open", "Open")));
    }

    [Fact]
    public async Task Funnel_MergedIdentity_CountsTheConvertedPersonOnce()
    {
        _log.Add("anon1", "Signup", "2024-01-02T10:00:00Z");
        _log.Add("u1", "Purchase", "2024-01-02T11:00:00Z").Add("u1", "Signup", "2024-01-02T12:00:00Z");
        _log.Add("anon2", "Signup", "2024-01-02T10:00:00Z");
        _log.Merge("anon1", "u1");

        Assert.Equal(new long[] { 2, 1 }, await Persons(Funnel("7d", "Signup", "Purchase")));
    }

    [Fact]
    public async Task Funnel_EntryBeforeRange_IsNotCounted_LaterStepsMayFallAfterTo()
    {
        _log.Add("e1", "A", "2023-12-31T23:59:59Z").Add("e1", "B", "2024-01-01T00:10:00Z");
        _log.Add("e2", "A", "2024-01-09T23:00:00Z").Add("e2", "B", "2024-01-11T00:00:00Z");
        Assert.Equal(new long[] { 1, 1 }, await Persons(Funnel("7d", "A", "B")));
    }

    [Fact]
    public async Task Funnel_Exclusion_RemovesPersonsWhoDidItBetweenTheSteps()
    {
        _log.Add("x1", "A", "2024-01-02T10:00:00Z").Add("x1", "X", "2024-01-02T10:30:00Z").Add("x1", "B", "2024-01-02T11:00:00Z");
        _log.Add("x2", "A", "2024-01-02T10:00:00Z").Add("x2", "B", "2024-01-02T11:00:00Z").Add("x2", "X", "2024-01-02T12:00:00Z");
        _log.Add("x3", "A", "2024-01-02T10:00:00Z").Add("x3", "X", "2024-01-02T10:30:00Z");
        _log.Add("x4", "A", "2024-01-02T10:00:00Z");
        var query = Funnel("1d", "A", "B") with { Exclusions = [new FunnelExclusion { Event = "X", BetweenSteps = [0, 1] }] };

        Assert.Equal(new long[] { 2, 1 }, await Persons(query));
    }

    [Fact]
    public async Task Funnel_AnyOrder_CountsStepsDoneInAnyOrderAfterEntry()
    {
        _log.Add("y1", "A", "2024-01-02T10:00:00Z").Add("y1", "C", "2024-01-02T11:00:00Z").Add("y1", "B", "2024-01-02T12:00:00Z");
        _log.Add("y2", "A", "2024-01-02T10:00:00Z").Add("y2", "C", "2024-01-02T11:00:00Z");
        _log.Add("y3", "B", "2024-01-02T09:00:00Z").Add("y3", "A", "2024-01-02T10:00:00Z");
        var result = await _log.Engine.FunnelAsync(EventLog.App, Funnel("1d", "A", "B", "C") with { Order = "any" }, default);

        Assert.Equal([3L, 1L, 1L], result.Steps.Select(s => s.Persons));
        // y1 reached step 1 (B) at 12:00, two hours after entry; step 2 was already done by then.
        Assert.Equal(7_200, result.Steps[1].MedianSecondsFromPrevious);
        Assert.Equal(0, result.Steps[2].MedianSecondsFromPrevious);
    }

    [Fact]
    public async Task Funnel_BreakdownByEntryProperty_SplitsPersons()
    {
        _log.Add("b1", "A", "2024-01-02T10:00:00Z", new { plan = "pro" }).Add("b1", "B", "2024-01-02T11:00:00Z", new { plan = "free" });
        _log.Add("b2", "A", "2024-01-02T10:00:00Z", new { plan = "free" });
        _log.Add("b3", "A", "2024-01-02T10:00:00Z", new { plan = "pro" }).Add("b3", "A", "2024-01-02T09:00:00Z", new { plan = "free" });
        var result = await _log.Engine.FunnelAsync(EventLog.App, Funnel("1d", "A", "B") with { Breakdown = new Breakdown { Property = "plan" } }, default);

        // b3's entry is the 09:00 event (plan free), though it was stored second.
        Assert.Equal([3L, 1L], result.Steps.Select(s => s.Persons));
        Assert.Equal(2, result.Breakdowns.Count);
        Assert.Equal("free", result.Breakdowns[0].BreakdownValue);
        Assert.Equal(new long[] { 2, 0 }, result.Breakdowns[0].Steps.Select(s => s.Persons));
        Assert.Equal("pro", result.Breakdowns[1].BreakdownValue);
        Assert.Equal(new long[] { 1, 1 }, result.Breakdowns[1].Steps.Select(s => s.Persons));
    }

    [Fact]
    public async Task Funnel_StepFilters_OnPropertiesAndAttributes()
    {
        _log.Add("f1", "A", "2024-01-02T10:00:00Z").Add("f1", "B", "2024-01-02T11:00:00Z", new { amount = 5 });
        _log.Add("f2", "A", "2024-01-02T10:00:00Z").Add("f2", "B", "2024-01-02T11:00:00Z", new { amount = 50 });
        _log.Add("f3", "A", "2024-01-02T10:00:00Z").Add("f3", "B", "2024-01-02T11:00:00Z", new { amount = 70 });
        _log.Attribute("f1", "country", "DE").Attribute("f2", "country", "FR").Attribute("f3", "country", "DE");
        var query = Funnel("1d", "A", "B") with
        {
            Steps =
            [
                new FunnelStep { Event = "A", Filters = [new EventFilter { Attribute = "country", Operator = "eq", Value = Json("\"DE\"") }] },
                new FunnelStep { Event = "B", Filters = [new EventFilter { Property = "amount", Operator = "gt", Value = Json("10") }] },
            ],
        };

        Assert.Equal(new long[] { 2, 1 }, await Persons(query));
    }

    [Fact]
    public async Task FunnelPersons_ListsThoseWhoDroppedAfterAStep_PageByPage()
    {
        foreach (string p in new[] { "d1", "d2", "d3" }) _log.Add(p, "A", "2024-01-02T10:00:00Z");
        _log.Add("d4", "A", "2024-01-02T10:00:00Z").Add("d4", "B", "2024-01-02T10:01:00Z");
        var funnel = Funnel("1d", "A", "B");

        var page1 = await _log.Engine.FunnelPersonsAsync(EventLog.App, new FunnelPersonsQuery { Funnel = funnel, DroppedAfterStep = 0, Limit = 2 }, default);
        var page2 = await _log.Engine.FunnelPersonsAsync(EventLog.App, new FunnelPersonsQuery { Funnel = funnel, DroppedAfterStep = 0, Limit = 2, Cursor = page1.NextCursor }, default);

        Assert.Equal(["d1", "d2"], page1.PersonIds);
        Assert.Equal(["d3"], page2.PersonIds);
        Assert.Null(page2.NextCursor);
    }

    [Fact]
    public async Task TimeToConvert_BinsTheSecondsFromEntryToLastStep()
    {
        _log.Add("t1", "A", "2024-01-02T10:00:00Z").Add("t1", "B", "2024-01-02T10:01:40Z"); // 100 s
        _log.Add("t2", "A", "2024-01-02T10:00:00Z").Add("t2", "B", "2024-01-02T10:03:20Z"); // 200 s
        _log.Add("t3", "A", "2024-01-02T10:00:00Z").Add("t3", "B", "2024-01-02T10:06:40Z"); // 400 s
        var result = await _log.Engine.TimeToConvertAsync(EventLog.App, Funnel("1d", "A", "B"), 4, default);

        Assert.Equal(3, result.Converted);
        Assert.Equal(200, result.MedianSeconds);
        Assert.Equal([0L, 1L, 1L, 1L], result.Bins.Select(b => b.Persons)); // bins of 100 s: [0,100) [100,200) [200,300) [300,400]
    }

    /// <summary>Random histories (repeated step names, ties, shuffled arrival, merges) against a plain C# reading of the rules.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Funnel_MatchesBruteForceReference_OnRandomHistories(int seed)
    {
        var random = new Random(seed);
        var start = EventLog.T("2024-01-01T00:00:00Z");
        var rows = new List<(string Person, string Name, DateTimeOffset Time)>();
        for (int p = 0; p < 80; p++)
        {
            int count = random.Next(0, 9);
            for (int i = 0; i < count; i++)
                rows.Add(($"p{p:00}", "ABC"[random.Next(3)].ToString(), start.AddHours(random.Next(0, 12 * 24) / 2.0 - 24)));
        }

        foreach (var (person, name, time) in rows.OrderBy(_ => random.Next())) _log.Add(person, name, time.ToString("O"));
        for (int p = 0; p < 80; p += 7) _log.Merge($"p{p:00}", $"p{p + 1:00}");

        string[] steps = ["A", "B", "A", "C"];
        var query = Funnel("2d", steps) with { To = EventLog.T("2024-01-08T00:00:00Z") };
        var expected = FunnelReference.Persons(_log, steps, query.From!.Value, query.To!.Value, TimeSpan.FromDays(2));

        Assert.Equal(expected, await Persons(query));
        Assert.True(expected[0] > 20 && expected[^1] > 0, "the random history should exercise every step");
    }

    /// <summary>
    /// Distinct step names take the step-by-step plan on stored person keys: random histories with ties, shuffled
    /// arrival, merge chains (a key merged into one that is merged on) and a merge back into a merged-away key, or none.
    /// </summary>
    [Theory]
    [InlineData(4, true)]
    [InlineData(5, true)]
    [InlineData(6, false)]
    public async Task Funnel_DistinctSteps_MatchesBruteForceReference_OnRandomHistories(int seed, bool merges)
    {
        var random = new Random(seed);
        var start = EventLog.T("2024-01-01T00:00:00Z");
        var rows = new List<(string Person, string Name, DateTimeOffset Time)>();
        for (int p = 0; p < 90; p++)
        {
            int count = random.Next(0, 10);
            for (int i = 0; i < count; i++)
                rows.Add(($"p{p:00}", "ABCD"[random.Next(4)].ToString(), start.AddHours(random.Next(0, 12 * 24) / 2.0 - 24)));
        }

        foreach (var (person, name, time) in rows.OrderBy(_ => random.Next())) _log.Add(person, name, time.ToString("O"));
        if (merges)
        {
            for (int p = 0; p < 90; p += 6) _log.Merge($"p{p:00}", $"p{p + 1:00}");
            for (int p = 1; p < 90; p += 12) _log.Merge($"p{p:00}", $"p{p + 2:00}"); // chains: p00 → p01 → p03
            _log.Merge("p03", "p00"); // back into a key merged away before
        }

        string[] steps = ["A", "B", "C"];
        var query = Funnel("2d", steps) with { To = EventLog.T("2024-01-08T00:00:00Z") };
        var expected = FunnelReference.Persons(_log, steps, query.From!.Value, query.To!.Value, TimeSpan.FromDays(2));

        Assert.Equal(expected, await Persons(query));
        Assert.True(expected[0] > 20 && expected[^1] > 0, "the random history should exercise every step");
    }

    private static System.Text.Json.JsonElement Json(string text) => System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
}

/// <summary>The funnel rules read literally, person by person: greedy earliest distinct event per step.</summary>
internal static class FunnelReference
{
    public static long[] Persons(EventLog log, string[] steps, DateTimeOffset from, DateTimeOffset to, TimeSpan window)
    {
        var counts = new long[steps.Length];
        foreach (var person in log.Events.GroupBy(e => log.PersonOf(e.Person)))
        {
            var events = person.OrderBy(e => e.Time).ThenBy(e => e.Seq).ToList();
            var entry = events.FirstOrDefault(e => e.Name == steps[0] && e.Time >= from && e.Time <= to);
            if (entry.Name is null) continue;
            var used = new HashSet<long> { entry.Seq };
            var previous = entry.Time;
            int reached = 1;
            for (int k = 1; k < steps.Length; k++)
            {
                var next = events.FirstOrDefault(e => e.Name == steps[k] && e.Time >= previous && e.Time <= entry.Time + window && !used.Contains(e.Seq));
                if (next.Name is null) break;
                used.Add(next.Seq);
                previous = next.Time;
                reached++;
            }

            for (int k = 0; k < reached; k++) counts[k]++;
        }

        return counts;
    }
}
