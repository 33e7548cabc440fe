using System.Text.Json.Nodes;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;

namespace Lodestar.Core.Tests.Segments;

public sealed class SegmentEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static PersonFacts Person(string attributesJson = "{}", params PersonEvent[] events) => new()
    {
        PersonId = "p1",
        Attributes = JsonNode.Parse(attributesJson)!.AsObject(),
        Sessions = 4,
        Events = [.. events.OrderBy(e => e.Time)],
    };

    private static PersonEvent Ev(string name, double daysAgo, double? value = null, string? properties = null) =>
        new(name, Now.AddDays(-daysAgo), value, properties is null ? null : JsonNode.Parse(properties)!.AsObject());

    private static bool Matches(string criteria, PersonFacts facts, Func<string, SegmentCondition?>? segments = null) =>
        SegmentEvaluator.Matches(SegmentCriteriaParser.Parse(criteria), facts, Now, segments);

    [Fact]
    public void Attribute_TypedOperators()
    {
        var p = Person("""{"plan": "pro", "age": 30, "vip": true, "tags": ["a", "b"], "nothing": null}""");
        Assert.True(Matches("""{"attribute": "plan", "op": "eq", "value": "pro"}""", p));
        Assert.False(Matches("""{"attribute": "plan", "op": "eq", "value": "Pro"}""", p));
        Assert.False(Matches("""{"attribute": "age", "op": "eq", "value": "30"}""", p)); // a string is not the number 30
        Assert.True(Matches("""{"attribute": "age", "op": "eq", "value": 30.0}""", p));
        Assert.True(Matches("""{"attribute": "age", "op": "gt", "value": 29.5}""", p));
        Assert.False(Matches("""{"attribute": "age", "op": "lt", "value": 30}""", p));
        Assert.True(Matches("""{"attribute": "age", "op": "lte", "value": 30}""", p));
        Assert.False(Matches("""{"attribute": "plan", "op": "gt", "value": 1}""", p));
        Assert.True(Matches("""{"attribute": "vip", "op": "eq", "value": true}""", p));
        Assert.True(Matches("""{"attribute": "plan", "op": "contains", "value": "r"}""", p));
        Assert.True(Matches("""{"attribute": "tags", "op": "contains", "value": "b"}""", p));
        Assert.False(Matches("""{"attribute": "tags", "op": "contains", "value": "c"}""", p));
        Assert.True(Matches("""{"attribute": "plan", "op": "in", "value": ["free", "pro"]}""", p));
        Assert.False(Matches("""{"attribute": "plan", "op": "notIn", "value": ["free", "pro"]}""", p));
        Assert.True(Matches("""{"attribute": "missing", "op": "notIn", "value": ["free"]}""", p));
        Assert.True(Matches("""{"attribute": "missing", "op": "neq", "value": "x"}""", p)); // unset passes neq
        Assert.True(Matches("""{"attribute": "nothing", "op": "isNotSet"}""", p)); // JSON null is unset
        Assert.True(Matches("""{"attribute": "plan", "op": "isSet"}""", p));
    }

    [Fact]
    public void Attribute_RelativeAndAbsoluteDates()
    {
        var p = Person("""{"signup": "2026-02-20T00:00:00Z", "old": "2026-01-01", "future": "2026-04-01", "bad": "last week"}""");
        Assert.True(Matches("""{"attribute": "signup", "op": "within", "value": "14d"}""", p)); // 9 days ago
        Assert.False(Matches("""{"attribute": "signup", "op": "within", "value": "9d"}""", p)); // exactly 9 days: now - 9d < t fails
        Assert.False(Matches("""{"attribute": "future", "op": "within", "value": "14d"}""", p));
        Assert.True(Matches("""{"attribute": "old", "op": "olderThan", "value": "30d"}""", p)); // 59 days
        Assert.False(Matches("""{"attribute": "signup", "op": "olderThan", "value": "30d"}""", p));
        Assert.True(Matches("""{"attribute": "old", "op": "before", "value": "2026-01-02"}""", p));
        Assert.False(Matches("""{"attribute": "old", "op": "after", "value": "2026-01-01"}""", p));
        Assert.False(Matches("""{"attribute": "bad", "op": "before", "value": "2030-01-01"}""", p));
    }

    [Fact]
    public void Event_CountWindowAndFilters()
    {
        var p = Person("{}",
            Ev("Purchase", 1, 5, """{"amount": 12}"""), Ev("Purchase", 10, 50, """{"amount": 8}"""),
            Ev("Purchase", 40, 100, """{"amount": 30}"""), Ev("Open App", 8));
        Assert.True(Matches("""{"event": "Purchase"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "count": {"op": "eq", "value": 3}}""", p));
        Assert.True(Matches("""{"event": "Purchase", "count": {"op": "eq", "value": 2}, "within": "30d"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "filters": [{"property": "amount", "op": "gt", "value": 10}], "count": {"op": "eq", "value": 1}, "within": "30d"}""", p));
        Assert.True(Matches("""{"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "7d"}""", p)); // did not open in 7 days
        Assert.True(Matches("""{"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "8d"}""", p)); // t = now - 8d is outside (strict)
        Assert.False(Matches("""{"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "9d"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "between": ["2026-02-15", "2026-02-28"]}""", p)); // 10 days ago = 2026-02-19
        Assert.False(Matches("""{"event": "Purchase", "between": ["2026-02-20", "2026-02-28"]}""", p));
    }

    [Fact]
    public void Event_Aggregates()
    {
        var p = Person("{}",
            Ev("Purchase", 1, 5, """{"amount": 12}"""), Ev("Purchase", 10, 50, """{"amount": "n/a"}"""), Ev("Purchase", 40, 100, """{"amount": 30}"""));
        Assert.True(Matches("""{"event": "Purchase", "aggregate": {"fn": "sum", "op": "eq", "value": 55}, "within": "30d"}""", p)); // value: 5 + 50
        Assert.True(Matches("""{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "eq", "value": 42}}""", p)); // "n/a" left out
        Assert.True(Matches("""{"event": "Purchase", "aggregate": {"fn": "avg", "property": "amount", "op": "eq", "value": 21}}""", p));
        Assert.True(Matches("""{"event": "Purchase", "aggregate": {"fn": "min", "property": "value", "op": "eq", "value": 5}}""", p));
        Assert.True(Matches("""{"event": "Purchase", "aggregate": {"fn": "max", "op": "eq", "value": 100}}""", p));
        // No valued event: false even for lt.
        Assert.False(Matches("""{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "lt", "value": 1000}, "within": "5d"}""", Person("{}", Ev("Purchase", 1))));
    }

    [Fact]
    public void Event_FirstAndLastOccurrence()
    {
        var p = Person("{}", Ev("Purchase", 2), Ev("Purchase", 20));
        Assert.False(Matches("""{"event": "Purchase", "occurrence": "first", "op": "within", "value": "3d"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "occurrence": "last", "op": "within", "value": "3d"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "occurrence": "first", "op": "olderThan", "value": "14d"}""", p));
        Assert.True(Matches("""{"event": "Purchase", "occurrence": "first", "op": "before", "value": "2026-02-10"}""", p));
        Assert.False(Matches("""{"event": "Purchase", "occurrence": "last", "op": "after", "value": "2026-02-28"}""", p));
        Assert.False(Matches("""{"event": "Refund", "occurrence": "first", "op": "before", "value": "2030-01-01"}""", p));
    }

    [Fact]
    public void Sequence_ClickedButNotBought()
    {
        const string criteria = """{"sequence": {"did": {"event": "Add To Cart"}, "thenNot": {"event": "Purchase"}, "within": "1d"}}""";
        Assert.True(Matches(criteria, Person("{}", Ev("Add To Cart", 3))));
        Assert.False(Matches(criteria, Person("{}", Ev("Add To Cart", 3), Ev("Purchase", 2.5))));
        Assert.True(Matches(criteria, Person("{}", Ev("Add To Cart", 3), Ev("Purchase", 1.5)))); // bought too late
        Assert.False(Matches(criteria, Person("{}", Ev("Add To Cart", 0.5)))); // the day has not passed yet
        Assert.True(Matches(criteria, Person("{}", Ev("Add To Cart", 5), Ev("Purchase", 4.9), Ev("Add To Cart", 3))));
    }

    [Fact]
    public void TechnologySessionsSegmentsBucket()
    {
        var profile = new Profile { AppId = "a", PersonId = "p1", Sessions = 7, Locale = "fr_FR", Location = new PersonLocation { Country = "FR" } };
        profile.Devices["old"] = new Device { Id = "old", OsName = "Android", LastSeen = Now.AddDays(-5) };
        profile.Devices["new"] = new Device { Id = "new", OsName = "iOS", AppVersion = "2.1", Model = "iPhone15,2", LastSeen = Now.AddDays(-1) };
        var p = PersonFacts.From(profile, []);
        Assert.True(Matches("""{"technology": "os", "op": "eq", "value": "iOS"}""", p));
        Assert.True(Matches("""{"technology": "locale", "op": "eq", "value": "fr_FR"}""", p)); // from the profile
        Assert.True(Matches("""{"technology": "country", "op": "in", "value": ["DE", "FR"]}""", p));
        Assert.True(Matches("""{"technology": "timezone", "op": "isNotSet"}""", p));
        Assert.True(Matches("""{"sessions": {"op": "gt", "value": 6}}""", p));
        var saved = new Dictionary<string, SegmentCondition> { ["ios"] = SegmentCriteriaParser.Parse("""{"technology": "os", "op": "eq", "value": "iOS"}""") };
        Assert.True(Matches("""{"segment": "ios"}""", p, saved.GetValueOrDefault));
        Assert.False(Matches("""{"segment": "gone"}""", p, saved.GetValueOrDefault));
        double bucket = SegmentBucket.Of("p1");
        Assert.True(SegmentEvaluator.Matches(new BucketCondition(bucket + 1e-9), p, Now));
        Assert.False(SegmentEvaluator.Matches(new BucketCondition(bucket), p, Now));
    }

    [Fact]
    public void Bucket_IsMd5FirstFourBytes()
    {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e; 0xd41d8cd9 / 2^32.
        Assert.Equal(0xd41d8cd9 / 4294967296.0, SegmentBucket.Of(""));
        // md5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        Assert.Equal(0x90015098 / 4294967296.0, SegmentBucket.Of("abc"));
    }

    [Fact]
    public void AllAnyNot()
    {
        var p = Person("""{"plan": "pro"}""");
        Assert.True(Matches("""{"all": [{"attribute": "plan", "op": "eq", "value": "pro"}, {"not": {"attribute": "plan", "op": "eq", "value": "free"}}]}""", p));
        Assert.False(Matches("""{"any": [{"attribute": "plan", "op": "eq", "value": "free"}, {"event": "X"}]}""", p));
    }

    [Fact]
    public void NextChangeAt_WindowsAndRelativeDates()
    {
        var p = Person("""{"signup": "2026-02-25T00:00:00Z"}""", Ev("Open App", 2), Ev("Open App", 6));
        // The last open leaves the 7-day window 5 days from now, the earlier one first (1 day from now).
        var dormant = SegmentCriteriaParser.Parse("""{"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "7d"}""");
        Assert.Equal(Now.AddDays(1), SegmentEvaluator.NextChangeAt(dormant, p, Now));
        Assert.False(SegmentEvaluator.Matches(dormant, p, Now.AddDays(1)));
        Assert.True(SegmentEvaluator.Matches(dormant, p, Now.AddDays(5)));
        Assert.False(SegmentEvaluator.Matches(dormant, p, Now.AddDays(5).AddTicks(-1)));
        var signup = SegmentCriteriaParser.Parse("""{"attribute": "signup", "op": "within", "value": "14d"}""");
        Assert.Equal(Now.AddDays(10), SegmentEvaluator.NextChangeAt(signup, p, Now)); // 2026-02-25 + 14d
        Assert.Null(SegmentEvaluator.NextChangeAt(SegmentCriteriaParser.Parse("""{"event": "Open App"}"""), p, Now));
        var sequence = SegmentCriteriaParser.Parse("""{"sequence": {"did": {"event": "Open App"}, "thenNot": {"event": "Buy"}, "within": "3d"}}""");
        Assert.Equal(Now.AddDays(1), SegmentEvaluator.NextChangeAt(sequence, p, Now)); // 2 days ago + 3d
    }

    [Fact]
    public void ReferencedEventsAndLookback_FollowNestedSegments()
    {
        var saved = new Dictionary<string, SegmentCondition> { ["s"] = SegmentCriteriaParser.Parse("""{"event": "C", "within": "40d"}""") };
        var c = SegmentCriteriaParser.Parse("""{"all": [{"event": "A", "within": "7d"}, {"not": {"segment": "s"}}, {"attribute": "x", "op": "isSet"}]}""");
        Assert.Equal(["A", "C"], SegmentEvaluator.ReferencedEvents(c, saved.GetValueOrDefault).Order(StringComparer.Ordinal));
        Assert.Equal(TimeSpan.FromDays(40), SegmentEvaluator.EventLookback(c, saved.GetValueOrDefault));
        Assert.Null(SegmentEvaluator.EventLookback(SegmentCriteriaParser.Parse("""{"event": "A"}""")));
    }
}
