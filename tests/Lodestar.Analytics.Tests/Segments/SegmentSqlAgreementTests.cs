using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;

namespace Lodestar.Analytics.Tests.Segments;

/// <summary>
/// Property test: on random persons, events and attributes, and random criteria of every kind, the batch SQL selects
/// exactly the persons the in-memory reference evaluator matches.
/// </summary>
public sealed class SegmentSqlAgreementTests
{
    private static readonly DateTimeOffset Now = SegmentWorld.Now;
    private static readonly string[] EventNames = ["A", "B", "C", "D"];
    private static readonly string[] Durations = ["1h", "12h", "1d", "2d", "7d", "14d", "30d", "60d"];
    private static readonly string[] Dates = ["2026-01-01", "2026-02-01", "2026-02-20T12:00:00Z", "2026-02-28", "2026-03-01T00:00:00Z", "2026-03-02"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task BatchSql_AgreesWithReferenceEvaluator_OnRandomDataAndCriteria(int seed)
    {
        var random = new Random(seed);
        using var world = RandomWorld(random);
        var lookup = SavedSegments(random);
        int nonEmpty = 0, notAll = 0;
        for (int i = 0; i < 60; i++)
        {
            var (json, criteria) = Valid(random, 0, nested: true);
            var now = random.Next(4) == 0 ? Now.AddHours(random.Next(-48, 48)) : Now;
            var expected = world.Expected(criteria, lookup, now);
            var actual = await world.Batch.PersonIdsAsync(world.App, criteria, lookup, now, default);
            Assert.True(expected.SequenceEqual(actual),
                $"seed {seed} case {i} at {now:O}: {json}\nreference: {string.Join(",", expected)}\nsql:       {string.Join(",", actual)}");
            if (expected.Count > 0) nonEmpty++;
            if (expected.Count < world.Profiles.Count) notAll++;
        }

        // The random criteria must discriminate, or agreement would prove little.
        Assert.True(nonEmpty >= 15, $"only {nonEmpty} of 60 criteria matched anyone");
        Assert.True(notAll >= 15, $"only {notAll} of 60 criteria left someone out");
    }

    /// <summary>
    /// NextChangeAt never misses a change: on the same random data (all instants whole hours), the answer at every hour
    /// from now until the instant it names (or for 70 days when it names none) equals the answer now.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void NextChangeAt_NeverMissesAChange_OnRandomDataAndCriteria(int seed)
    {
        var random = new Random(seed);
        using var world = RandomWorld(random);
        var lookup = SavedSegments(random);
        var persons = world.Profiles.Values.Take(12).Select(world.Facts).ToList();
        int scheduled = 0, changed = 0;
        for (int i = 0; i < 60; i++)
        {
            var (json, criteria) = Valid(random, 0, nested: true);
            foreach (var facts in persons)
            {
                bool before = SegmentEvaluator.Matches(criteria, facts, Now, lookup);
                var next = SegmentEvaluator.NextChangeAt(criteria, facts, Now, lookup);
                Assert.True(next is null || next > Now, $"{json}: next {next:O} is not after now");
                var until = next ?? Now.AddDays(70);
                for (var t = Now.AddHours(1); t < until; t = t.AddHours(1))
                {
                    Assert.True(SegmentEvaluator.Matches(criteria, facts, t, lookup) == before,
                        $"seed {seed} case {i} person {facts.PersonId}: {json} changed at {t:O} before NextChangeAt {next:O}");
                }

                Assert.True(SegmentEvaluator.Matches(criteria, facts, until.AddTicks(-1), lookup) == before,
                    $"seed {seed} case {i} person {facts.PersonId}: {json} changed just before NextChangeAt {next:O}");
                if (next is not null)
                {
                    scheduled++;
                    if (SegmentEvaluator.Matches(criteria, facts, next.Value, lookup) != before) changed++;
                }
            }
        }

        // Time-based criteria are common enough in the draw for this to test something.
        Assert.True(scheduled >= 50, $"only {scheduled} evaluations had a next change");
        Assert.True(changed >= 3, $"only {changed} scheduled instants changed the answer");
    }

    /// <summary>Two random saved segments, s1 and s2, for the criteria's segment conditions to name.</summary>
    private static Func<string, SegmentCondition?> SavedSegments(Random random)
    {
        var saved = new Dictionary<string, SegmentCondition>(StringComparer.Ordinal)
        {
            ["s1"] = Valid(random, 1, nested: false).Criteria,
            ["s2"] = Valid(random, 1, nested: false).Criteria,
        };
        return saved.GetValueOrDefault;
    }

    /// <summary>Random criteria the parser accepts (it refuses e.g. gt on the date attribute $firstSeen).</summary>
    private static (string Json, SegmentCondition Criteria) Valid(Random random, int depth, bool nested)
    {
        while (true)
        {
            string json = Criteria(random, depth, nested);
            try
            {
                return (json, SegmentCriteriaParser.Parse(json));
            }
            catch (SegmentCriteriaException)
            {
                // Draw again.
            }
        }
    }

    private static SegmentWorld RandomWorld(Random random)
    {
        var world = new SegmentWorld();
        for (int i = 0; i < 40; i++)
        {
            string id = "p" + i.ToString("D2", CultureInfo.InvariantCulture);
            var profile = world.Person(id);
            Attributes(random, profile.Attributes);
            profile.Sessions = random.Next(0, 8);
            if (random.Next(5) > 0)
            {
                profile.FirstSeen = Now.AddHours(-random.Next(0, 24 * 90));
                profile.LastActive = Now.AddHours(-random.Next(0, 24 * 20));
            }

            for (int d = random.Next(0, 3); d > 0; d--)
            {
                string deviceId = "d" + d.ToString(CultureInfo.InvariantCulture);
                profile.Devices[deviceId] = new Device
                {
                    Id = deviceId,
                    OsName = Pick(random, "iOS", "Android", null),
                    AppVersion = Pick(random, "1.0", "2.0", "2.1", "2.10", "2.9.3", "v3", "3.0-beta", "beta", null),
                    Model = Pick(random, "iPhone15,2", "Pixel 8", null),
                    Locale = Pick(random, "en_US", null, null),
                    LastSeen = Now.AddHours(-random.Next(0, 100)),
                };
            }

            profile.Locale = Pick(random, "fr_FR", "de_DE", null);
            profile.Timezone = Pick(random, "Europe/Paris", "America/New_York", null);
            profile.Location = new PersonLocation { Country = Pick(random, "FR", "US", "DE", null) };

            string[] storedAs = random.Next(4) == 0 ? [id, "old-" + id] : [id];
            if (storedAs.Length > 1) world.Merge(storedAs[1], id);
            for (int e = random.Next(0, 14); e > 0; e--)
            {
                // Whole hours, so windows of whole hours and days land exactly on event times and test the boundaries.
                var time = Now.AddHours(-HoursAgo(random));
                world.Event(storedAs[random.Next(storedAs.Length)], Pick(random, EventNames)!, time,
                    random.Next(3) == 0 ? null : random.Next(0, 20), Properties(random), @internal: random.Next(15) == 0);
            }
        }

        // Events of a person with no profile are not anyone's.
        world.Event("ghost", "A", Now.AddHours(-3));
        return world;
    }

    private static readonly int[] Boundaries = [0, 1, 12, 24, 48, 72, 7 * 24, 10 * 24, 14 * 24, 30 * 24, 60 * 24, -12, -24];

    /// <summary>Often exactly on (or an hour off) the windows the criteria use, so strict and inclusive bounds are told apart.</summary>
    private static int HoursAgo(Random random) => random.Next(2) == 0
        ? Pick(random, Boundaries) + Pick(random, 0, 0, 1, -1)
        : random.Next(-30, 24 * 45);

    private static void Attributes(Random random, JsonObject attributes)
    {
        if (random.Next(4) > 0) attributes["plan"] = Pick(random, "free", "pro", "team");
        if (random.Next(4) > 0) attributes["age"] = random.Next(3) == 0 ? JsonValue.Create("30") : JsonValue.Create(random.Next(10, 50) * 1.0);
        if (random.Next(3) > 0) attributes["vip"] = random.Next(2) == 0;
        if (random.Next(3) == 0) attributes["tags"] = new JsonArray(Pick(random, "a", "b"), random.Next(0, 6), Pick(random, "pro", "x"));
        if (random.Next(4) > 0) attributes["signup"] = random.Next(6) == 0 ? "soon" : Now.AddHours(-HoursAgo(random)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (random.Next(5) == 0) attributes["nil"] = null;
    }

    private static string? Properties(Random random)
    {
        if (random.Next(5) == 0) return null;
        var p = new JsonObject();
        if (random.Next(3) > 0) p["amount"] = random.Next(6) == 0 ? JsonValue.Create("12") : JsonValue.Create(random.Next(0, 50));
        if (random.Next(2) > 0) p["plan"] = Pick(random, "free", "pro", "team");
        if (random.Next(3) == 0) p["flag"] = random.Next(2) == 0;
        if (random.Next(4) == 0) p["tags"] = new JsonArray(Pick(random, "a", "b"), random.Next(0, 4));
        if (random.Next(8) == 0) p["plan"] = null;
        return p.ToJsonString();
    }

    private static string Criteria(Random random, int depth, bool nested) => Condition(random, depth, nested).ToJsonString();

    private static JsonObject Condition(Random random, int depth, bool nested)
    {
        int kind = random.Next(depth < 2 ? 14 : 10);
        switch (kind)
        {
            case 0: return Attribute(random);
            case 1: return Technology(random);
            case 2: return new JsonObject { ["sessions"] = Count(random, 6) };
            case 3 or 4 or 5: return Event(random);
            case 6: return Sequence(random);
            case 7: return nested ? new JsonObject { ["segment"] = Pick(random, "s1", "s2") } : Event(random);
            case 8: return new JsonObject { ["bucket"] = new JsonObject { ["lt"] = Pick(random, 0.0, 0.3, 0.5, 0.9, 1.0) } };
            case 9: return random.Next(2) == 0 ? Attribute(random) : Event(random);
            case 10: return new JsonObject { ["not"] = Condition(random, depth + 1, nested) };
            default:
                var list = new JsonArray();
                for (int i = random.Next(1, 4); i > 0; i--) list.Add(Condition(random, depth + 1, nested));
                return new JsonObject { [random.Next(2) == 0 ? "all" : "any"] = list };
        }
    }

    private static readonly string[] AllOperators =
        ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "in", "notIn", "isSet", "isNotSet", "within", "olderThan", "before", "after"];

    private static JsonObject Attribute(Random random)
    {
        string name = Pick(random, "plan", "age", "vip", "tags", "signup", "nil", "missing", "$firstSeen", "$lastActive")!;
        var c = new JsonObject { ["attribute"] = name };
        Test(random, c, AllOperators);
        return c;
    }

    private static JsonObject Technology(Random random)
    {
        var c = new JsonObject { ["technology"] = Pick(random, "os", "appVersion", "deviceModel", "locale", "timezone", "country") };
        if ((string)c["technology"]! == "appVersion" && random.Next(2) == 0)
        {
            // The version order (1.10 > 1.9), compared through stored keys in SQL and directly by the evaluator.
            c["op"] = Pick(random, "gt", "gte", "lt", "lte");
            c["value"] = Pick(random, "2", "2.1", "2.9", "2.10", "3.0", "3-beta", "1.0.0");
            return c;
        }

        string op = Pick(random, "eq", "neq", "contains", "in", "notIn", "isSet", "isNotSet")!;
        c["op"] = op;
        string[] values = ["iOS", "Android", "2.0", "1.0", "Pixel 8", "en_US", "fr_FR", "Europe/Paris", "FR", "US", "i", "2."];
        if (op is "in" or "notIn") c["value"] = new JsonArray(Pick(random, values), Pick(random, values));
        else if (op is not ("isSet" or "isNotSet")) c["value"] = Pick(random, values);
        return c;
    }

    private static void Test(Random random, JsonObject c, string[] operators)
    {
        string op = Pick(random, operators)!;
        c["op"] = op;
        JsonNode Scalar() => Pick<JsonNode>(random, "free", "pro", "team", "a", "x", "12", "30", 5, 12, 30, 30.5, true, false, 0)!.DeepClone();
        switch (op)
        {
            case "isSet" or "isNotSet": break;
            case "gt" or "gte" or "lt" or "lte": c["value"] = Pick(random, 0, 5, 12, 18, 30, 45); break;
            case "in" or "notIn": c["value"] = new JsonArray(Scalar(), Scalar()); break;
            case "within" or "olderThan": c["value"] = Pick(random, Durations); break;
            case "before" or "after": c["value"] = Pick(random, Dates); break;
            default: c["value"] = Scalar(); break;
        }
    }

    private static JsonArray Filters(Random random)
    {
        var filters = new JsonArray();
        for (int i = random.Next(0, 3) - 1; i > 0 || (i == 0 && random.Next(2) == 0); i--)
        {
            var f = new JsonObject { ["property"] = Pick(random, "amount", "plan", "flag", "tags", "missing") };
            Test(random, f, ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "in", "notIn", "isSet", "isNotSet"]);
            filters.Add(f);
        }

        return filters;
    }

    private static JsonObject Count(Random random, int max) =>
        new() { ["op"] = Pick(random, "eq", "neq", "gt", "gte", "lt", "lte"), ["value"] = random.Next(0, max) };

    private static JsonObject Event(Random random)
    {
        var c = new JsonObject { ["event"] = Pick(random, EventNames) };
        var filters = Filters(random);
        if (filters.Count > 0) c["filters"] = filters;
        switch (random.Next(5))
        {
            case 0: break;
            case 1 or 2: c["count"] = Count(random, 4); break;
            case 3:
                c["aggregate"] = new JsonObject
                {
                    ["fn"] = Pick(random, "sum", "avg", "min", "max"),
                    ["property"] = Pick(random, "value", "amount", "value"),
                    ["op"] = Pick(random, "eq", "neq", "gt", "gte", "lt", "lte"),
                    ["value"] = Pick(random, 0, 5, 10, 20, 40),
                };
                break;
            default:
                c["occurrence"] = Pick(random, "first", "last");
                string op = Pick(random, "before", "after", "within", "olderThan")!;
                c["op"] = op;
                c["value"] = op is "before" or "after" ? Pick(random, Dates) : Pick(random, Durations);
                break;
        }

        switch (random.Next(3))
        {
            case 0: c["within"] = Pick(random, Durations); break;
            case 1:
                int a = random.Next(Dates.Length - 1);
                c["between"] = new JsonArray(Dates[a], Dates[random.Next(a + 1, Dates.Length)]);
                break;
        }

        return c;
    }

    private static JsonObject Sequence(Random random)
    {
        JsonObject Step()
        {
            var s = new JsonObject { ["event"] = Pick(random, EventNames) };
            var filters = Filters(random);
            if (filters.Count > 0) s["filters"] = filters;
            return s;
        }

        return new JsonObject
        {
            ["sequence"] = new JsonObject { ["did"] = Step(), ["thenNot"] = Step(), ["within"] = Pick(random, "1h", "1d", "3d", "10d") },
        };
    }

    private static T? Pick<T>(Random random, params T?[] options) => options[random.Next(options.Length)];
}
