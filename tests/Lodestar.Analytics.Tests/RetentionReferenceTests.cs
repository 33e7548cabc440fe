using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Tests;

/// <summary>
/// Retention reduces events per stored person and period before applying merges; these random histories (merge
/// chains, events before the range, a property breakdown with missing values) check it against a brute-force count.
/// </summary>
public sealed class RetentionReferenceTests
{
    [Theory]
    [InlineData(1, "on")]
    [InlineData(2, "on")]
    [InlineData(3, "onOrAfter")]
    [InlineData(4, "onOrAfter")]
    [InlineData(5, "on")]
    public async Task Retention_WithMergesAndBreakdown_MatchesABruteForceCount(int seed, string mode)
    {
        using var log = new EventLog();
        var random = new Random(seed);
        var start = EventLog.T("2024-01-01T00:00:00Z");
        string[] categories = ["x", "y", "z"];
        for (int i = 0; i < 600; i++)
        {
            int index = random.Next(20);
            string person = "p" + index;
            string name = random.Next(3) == 0 ? "B" : "A";
            // Persons first appear on different days, so there are cohorts on several days (and some before the range).
            var time = start.AddMinutes(random.Next(index % 4 * 24 * 60, 5 * 24 * 60));
            object? properties = random.Next(2) == 0 ? null : new Dictionary<string, string> { ["c"] = categories[random.Next(3)] };
            log.Add(person, name, time.ToString("O"), properties);
            if (random.Next(20) == 0)
            {
                string from = "p" + random.Next(20), to = "p" + random.Next(20);
                if (from != to && log.PersonOf(to) == to && log.PersonOf(from) == from) log.Merge(from, to);
            }
        }

        var from2 = EventLog.T("2024-01-01T12:00:00Z");
        var to2 = EventLog.T("2024-01-05T23:59:59Z");
        var query = new RetentionQuery
        {
            StartEvent = "A", ReturnEvent = "B", Interval = "day", Periods = 3, Mode = mode, From = from2, To = to2,
            Breakdown = new Breakdown { Property = "c" },
        };
        var result = await log.Engine.RetentionAsync(EventLog.App, query, default);

        // Brute force: per canonical person, the first A (up to To); in a cohort when at or after From; its breakdown
        // value is that of the earliest A carrying one (as arg_min, which skips missing values); returns are B days
        // after the cohort day, within the range.
        static DateTimeOffset Day(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);
        var byPerson = log.Events.GroupBy(e => log.PersonOf(e.Person));
        var expected = new Dictionary<(DateTimeOffset, string?), (long Size, Dictionary<int, long> Retained)>();
        foreach (var person in byPerson)
        {
            var starts = person.Where(e => e.Name == "A" && e.Time <= to2).OrderBy(e => e.Time).ThenBy(e => e.Seq).ToList();
            if (starts.Count == 0 || starts[0].Time < from2) continue;
            var cohort = Day(starts[0].Time);
            string? value = starts.Where(e => e.Properties is not null).Select(e => System.Text.Json.JsonDocument.Parse(e.Properties!).RootElement.GetProperty("c").GetString()).FirstOrDefault();
            var periods = person.Where(e => e.Name == "B" && e.Time >= from2 && e.Time <= to2)
                .Select(e => (int)(Day(e.Time) - cohort).TotalDays).Where(k => k > 0).Distinct().ToList();
            if (mode == "onOrAfter" && periods.Count > 0) periods = Enumerable.Range(1, periods.Max()).ToList();
            if (!expected.TryGetValue((cohort, value), out var row)) expected[(cohort, value)] = row = (0, []);
            var retained = row.Retained;
            foreach (int k in periods) retained[k] = retained.GetValueOrDefault(k) + 1;
            expected[(cohort, value)] = (row.Size + 1, retained);
        }

        var actual = result.Cohorts.Where(c => c.Size > 0).ToList();
        Assert.Equal(expected.Keys.OrderBy(k => k.Item1).ThenBy(k => k.Item2).Select(k => $"{k.Item1:O}/{k.Item2}"),
            actual.Select(c => (c.Start, c.BreakdownValue)).OrderBy(k => k.Start).ThenBy(k => k.BreakdownValue).Select(k => $"{k.Start.ToUniversalTime():O}/{k.BreakdownValue}"));
        Assert.True(expected.Values.Sum(v => v.Retained.Values.Sum()) > 0, "the random history should have some returns");
        foreach (var cohort in actual)
        {
            var (size, retained) = expected[(cohort.Start.ToUniversalTime(), cohort.BreakdownValue)];
            Assert.Equal(size, cohort.Size);
            for (int k = 1; k < cohort.Retained.Count; k++) Assert.Equal(retained.GetValueOrDefault(k), cohort.Retained[k]);
        }
    }
}
