using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;

namespace Lodestar.Core.Tests.Segments;

/// <summary>
/// <see cref="LiveSegmentPlan"/> over a <see cref="PersonEventIndex"/> fed one event at a time (in arrival order, times
/// out of order, events of names no criterion reads among them) against <see cref="SegmentEvaluator.Evaluate"/> on the
/// person's full history: random criteria of every kind, answers and next change times equal at random instants after
/// each arrival, and, with the index trimmed to the plan's longest window as time moves on, at increasing instants.
/// </summary>
public sealed class LiveSegmentPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Names = ["Open App", "Purchase", "Add To Cart", "View", "Unread"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void IndexedEvaluation_EqualsTheEvaluatorOnTheFullHistory(int seed)
    {
        var random = new Random(seed);
        int checkedCases = 0, matched = 0, timed = 0, trimmedCases = 0;
        for (int round = 0; round < 40; round++)
        {
            var saved = Enumerable.Range(0, 4).ToDictionary(i => $"n{i}", _ => SegmentCriteriaParser.Parse(SegmentEvaluatorCombinedTests.Criteria(random, 1, nested: false)));
            SegmentCondition? Lookup(string id) => saved.GetValueOrDefault(id);
            var criteria = Enumerable.Range(0, 6).Select(_ => SegmentCriteriaParser.Parse(SegmentEvaluatorCombinedTests.Criteria(random, 0, nested: true))).ToList();
            var plan = new LiveSegmentPlan(criteria, Lookup);
            TimeSpan? retention = TimeSpan.Zero;
            foreach (var c in criteria)
            {
                var lookback = SegmentEvaluator.EventLookback(c, Lookup);
                retention = lookback is null || retention is null ? null : lookback > retention ? lookback : retention;
            }

            for (int person = 0; person < 6; person++)
            {
                var facts = Facts(random, $"p{seed}-{round}-{person}");
                var index = new PersonEventIndex(plan);
                var history = new List<IndexedEvent>();
                int arrivals = random.Next(0, 30);
                for (long sequence = 1; sequence <= arrivals; sequence++)
                {
                    var e = Event(random);
                    index.Add(sequence, e);
                    history.Add(new IndexedEvent(sequence, e));
                    foreach (var at in new[] { Now, Now.AddMinutes(-random.Next(1, 60 * 24 * 20)), Now.AddMinutes(random.Next(1, 60 * 24 * 40)), e.Time })
                    {
                        var events = Sorted(history);
                        for (int i = 0; i < criteria.Count; i++)
                        {
                            var expected = SegmentEvaluator.Evaluate(criteria[i], facts, events, at, Lookup);
                            Assert.Equal(expected, plan.Evaluate(i, facts, index, at));
                            checkedCases++;
                            if (expected.Matches) matched++;
                            if (expected.NextChangeAt is not null) timed++;
                        }
                    }
                }

                // Time moves on and the index forgets what no window can see any more, as the grain does.
                var full = Sorted(history);
                var instant = Now.AddDays(-45);
                for (int step = 0; step < 8; step++)
                {
                    instant = instant.AddMinutes(random.Next(0, 60 * 24 * 14));
                    if (retention is { } keep) index.DropBefore(instant - keep);
                    for (int i = 0; i < criteria.Count; i++)
                    {
                        Assert.Equal(SegmentEvaluator.Evaluate(criteria[i], facts, full, instant, Lookup), plan.Evaluate(i, facts, index, instant));
                        trimmedCases++;
                    }
                }
            }
        }

        // Not vacuous: both answers vary.
        Assert.InRange(matched, checkedCases / 20, checkedCases - (checkedCases / 20));
        Assert.InRange(timed, checkedCases / 10, checkedCases);
        Assert.True(trimmedCases > 1000);
    }

    [Fact]
    public void Rebuilding_AnIndexForANewPlan_KeepsTheEventsInOrder()
    {
        var first = new LiveSegmentPlan([SegmentCriteriaParser.Parse("""{"event": "Purchase", "count": {"op": "gte", "value": 2}}""")]);
        var index = new PersonEventIndex(first);
        Assert.True(index.Add(2, new PersonEvent("Purchase", Now)));
        Assert.True(index.Add(1, new PersonEvent("Purchase", Now)));
        Assert.True(index.Add(3, new PersonEvent("Purchase", Now.AddDays(-1))));
        Assert.False(index.Add(4, new PersonEvent("View", Now)));
        Assert.Equal([3L, 1L, 2L], index.Events().Select(e => e.Sequence));
        Assert.Equal((true, null), first.Evaluate(0, new PersonFacts { PersonId = "p" }, index, Now));
    }

    private static List<PersonEvent> Sorted(List<IndexedEvent> history) =>
        [.. history.OrderBy(e => e.Event.Time).ThenBy(e => e.Sequence).Select(e => e.Event)];

    private static PersonEvent Event(Random random) => new(
        Names[random.Next(Names.Length)],
        Now.AddMinutes(random.Next(-40 * 24 * 60, 3 * 24 * 60)),
        random.Next(4) == 0 ? null : random.Next(0, 50),
        random.Next(5) == 0 ? null : JsonNode.Parse($"{{\"amount\": {random.Next(0, 100)}}}")!.AsObject());

    private static PersonFacts Facts(Random random, string personId) => new()
    {
        PersonId = personId,
        Attributes = new JsonObject
        {
            ["plan"] = random.Next(2) == 0 ? "pro" : "free",
            ["signup"] = Now.AddHours(-random.Next(0, 60 * 24)).ToString("O", CultureInfo.InvariantCulture),
        },
        Technology = new PersonTechnology(random.Next(2) == 0 ? "iOS" : "Android", "1.2.3", null, null, null, "DE"),
        Sessions = random.Next(0, 4),
    };
}
