using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Segments;

namespace Lodestar.Core.Tests.Segments;

/// <summary>
/// <see cref="SegmentEvaluator.Evaluate"/> (the real-time engine's one-pass evaluation) against the reference
/// <see cref="SegmentEvaluator.Matches"/> and <see cref="SegmentEvaluator.NextChangeAt"/>: on random criteria (every
/// condition kind, nesting, saved segments) and random histories (events before and after the evaluation instant,
/// date attributes), both answers equal, at several instants.
/// </summary>
public sealed class SegmentEvaluatorCombinedTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Names = ["Open App", "Purchase", "Add To Cart", "View"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void OnePassEvaluation_EqualsMatchesAndNextChangeAt(int seed)
    {
        var random = new Random(seed);
        int checkedCases = 0, matched = 0, timed = 0;
        for (int round = 0; round < 60; round++)
        {
            var saved = Enumerable.Range(0, 4).ToDictionary(i => $"n{i}", _ => SegmentCriteriaParser.Parse(Criteria(random, 1, nested: false)));
            SegmentCondition? Lookup(string id) => saved.GetValueOrDefault(id);
            var criteria = SegmentCriteriaParser.Parse(Criteria(random, 0, nested: true));
            for (int person = 0; person < 10; person++)
            {
                var events = Enumerable.Range(0, random.Next(0, 25))
                    .Select(_ => new PersonEvent(
                        Names[random.Next(Names.Length)],
                        Now.AddMinutes(random.Next(-40 * 24 * 60, 3 * 24 * 60)),
                        random.Next(4) == 0 ? null : random.Next(0, 50),
                        random.Next(5) == 0 ? null : JsonNode.Parse($"{{\"amount\": {random.Next(0, 100)}}}")!.AsObject()))
                    .OrderBy(e => e.Time)
                    .ToList();
                var attributes = new JsonObject
                {
                    ["plan"] = random.Next(2) == 0 ? "pro" : "free",
                    ["signup"] = Now.AddHours(-random.Next(0, 60 * 24)).ToString("O", CultureInfo.InvariantCulture),
                };
                var facts = new PersonFacts
                {
                    PersonId = $"p{seed}-{round}-{person}",
                    Attributes = attributes,
                    Technology = new PersonTechnology(random.Next(2) == 0 ? "iOS" : "Android", "1.2.3", null, null, null, "DE"),
                    Sessions = random.Next(0, 4),
                    Events = events,
                };
                foreach (var at in new[] { Now, Now.AddHours(-random.Next(1, 500)), Now.AddDays(random.Next(1, 40)) })
                {
                    bool expected = SegmentEvaluator.Matches(criteria, facts, at, Lookup);
                    var expectedNext = SegmentEvaluator.NextChangeAt(criteria, facts, at, Lookup);
                    var (actual, actualNext) = SegmentEvaluator.Evaluate(criteria, facts, events, at, Lookup);
                    Assert.Equal(expected, actual);
                    Assert.Equal(expectedNext, actualNext);
                    checkedCases++;
                    if (expected) matched++;
                    if (expectedNext is not null) timed++;
                }
            }
        }

        // Not vacuous: both answers vary.
        Assert.InRange(matched, checkedCases / 20, checkedCases - (checkedCases / 20));
        Assert.InRange(timed, checkedCases / 10, checkedCases);
    }

    internal static string Criteria(Random random, int depth, bool nested)
    {
        int kind = random.Next(depth < 2 ? 17 : 14);
        string e = Names[random.Next(Names.Length)];
        string op = new[] { "gte", "lte", "eq", "gt", "lt" }[random.Next(5)];
        string window = random.Next(3) switch
        {
            0 => $", \"within\": \"{random.Next(1, 35)}d\"",
            1 => $", \"between\": [\"2026-02-{random.Next(1, 15):00}\", \"2026-03-{random.Next(1, 5):00}\"]",
            _ => "",
        };
        string date = random.Next(2) == 0 ? "within" : "olderThan";
        return kind switch
        {
            0 => $"{{\"event\": \"{e}\", \"count\": {{\"op\": \"{op}\", \"value\": {random.Next(0, 4)}}}{window}}}",
            1 => $"{{\"event\": \"{e}\"{window}}}",
            2 => $"{{\"event\": \"{e}\", \"filters\": [{{\"property\": \"amount\", \"op\": \"gt\", \"value\": {random.Next(0, 100)}}}], \"count\": {{\"op\": \"gte\", \"value\": {random.Next(1, 3)}}}{window}}}",
            3 => $"{{\"event\": \"{e}\", \"aggregate\": {{\"fn\": \"{new[] { "sum", "avg", "min", "max" }[random.Next(4)]}\", \"property\": \"{(random.Next(2) == 0 ? "amount" : "value")}\", \"op\": \"{op}\", \"value\": {random.Next(0, 150)}}}{window}}}",
            4 => $"{{\"event\": \"{e}\", \"occurrence\": \"{(random.Next(2) == 0 ? "first" : "last")}\", \"op\": \"{date}\", \"value\": \"{random.Next(1, 30)}d\"}}",
            5 => $"{{\"event\": \"{e}\", \"occurrence\": \"{(random.Next(2) == 0 ? "first" : "last")}\", \"op\": \"{(random.Next(2) == 0 ? "before" : "after")}\", \"value\": \"2026-02-{random.Next(1, 28):00}\"}}",
            6 => $"{{\"sequence\": {{\"did\": {{\"event\": \"{e}\"}}, \"thenNot\": {{\"event\": \"{Names[random.Next(Names.Length)]}\"}}, \"within\": \"{random.Next(1, 10)}d\"}}}}",
            7 => $"{{\"attribute\": \"plan\", \"op\": \"eq\", \"value\": \"pro\"}}",
            8 => $"{{\"attribute\": \"signup\", \"op\": \"{date}\", \"value\": \"{random.Next(1, 40)}d\"}}",
            9 => $"{{\"sessions\": {{\"op\": \"{op}\", \"value\": {random.Next(0, 3)}}}}}",
            10 => $"{{\"bucket\": {{\"lt\": {random.Next(1, 10) / 10.0:0.0}}}}}",
            11 => $"{{\"technology\": \"os\", \"op\": \"eq\", \"value\": \"iOS\"}}",
            12 => nested ? $"{{\"segment\": \"n{random.Next(0, 5)}\"}}" : $"{{\"event\": \"{e}\", \"count\": {{\"op\": \"eq\", \"value\": 0}}, \"within\": \"7d\"}}",
            13 => $"{{\"sequence\": {{\"did\": {{\"event\": \"{e}\", \"filters\": [{{\"property\": \"amount\", \"op\": \"lt\", \"value\": 50}}]}}, \"thenNot\": {{\"event\": \"{e}\"}}, \"within\": \"2d\"}}}}",
            14 => $"{{\"not\": {Criteria(random, depth + 1, nested)}}}",
            _ => $"{{\"{(kind == 15 ? "all" : "any")}\": [{Criteria(random, depth + 1, nested)}, {Criteria(random, depth + 1, nested)}, {Criteria(random, depth + 1, nested)}]}}",
        };
    }
}
