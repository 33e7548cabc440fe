using Lodestar.Core.Segments;

namespace Lodestar.Core.Tests.Segments;

public sealed class SegmentCriteriaParserTests
{
    private static SegmentCriteriaError SingleError(string json, SegmentParseContext? context = null)
    {
        var e = Assert.Throws<SegmentCriteriaException>(() => SegmentCriteriaParser.Parse(json, context));
        return Assert.Single(e.Errors);
    }

    [Fact]
    public void Parse_EveryIssueExample_Succeeds()
    {
        string[] examples =
        [
            """{"all": [{"attribute": "plan", "op": "eq", "value": "pro"}]}""",
            """{"any": [{"attribute": "signupDate", "op": "within", "value": "14d"}]}""",
            """{"not": {"attribute": "signupDate", "op": "olderThan", "value": "30d"}}""",
            """{"event": "Purchase", "filters": [{"property": "amount", "op": "gt", "value": 10}], "count": {"op": "gte", "value": 2}, "within": "30d"}""",
            """{"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "7d"}""",
            """{"event": "Purchase", "between": ["2026-01-01", "2026-02-01"]}""",
            """{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "gt", "value": 100}, "within": "30d"}""",
            """{"event": "Purchase", "occurrence": "first", "op": "within", "value": "3d"}""",
            """{"sequence": {"did": {"event": "Add To Cart"}, "thenNot": {"event": "Purchase"}, "within": "1d"}}""",
            """{"technology": "os", "op": "eq", "value": "iOS"}""",
            """{"sessions": {"op": "gte", "value": 3}}""",
            """{"segment": "SEGMENT_ID"}""",
            """{"bucket": {"lt": 0.2}}""",
        ];
        foreach (string json in examples) Assert.NotNull(SegmentCriteriaParser.Parse(json));
    }

    [Fact]
    public void Parse_BuildsTheTree()
    {
        var c = SegmentCriteriaParser.Parse(
            """{"all": [{"event": "Purchase", "filters": [{"property": "amount", "op": "gt", "value": 10}], "count": {"op": "gte", "value": 2}, "within": "30d"}, {"not": {"bucket": {"lt": 0.5}}}]}""");
        var all = Assert.IsType<AllCondition>(c);
        var e = Assert.IsType<EventCondition>(all.Conditions[0]);
        Assert.Equal("Purchase", e.Match.Event);
        Assert.Equal(TimeSpan.FromDays(30), e.Window.Within);
        Assert.Equal(new CountTest(ValueOperator.Gte, 2), e.Count);
        var filter = Assert.Single(e.Match.Filters);
        Assert.Equal(ValueOperator.Gt, filter.Test.Op);
        Assert.Equal(10, filter.Test.Operand.Number);
        Assert.Equal(0.5, Assert.IsType<BucketCondition>(Assert.IsType<NotCondition>(all.Conditions[1]).Condition).Below);
    }

    [Fact]
    public void Parse_NegativeCount_NamesThePath()
    {
        var error = SingleError("""{"all": [{"bucket": {"lt": 0.1}}, {"event": "Purchase", "count": {"op": "gte", "value": -1}}]}""");
        Assert.Equal("criteria.all[1].count.value", error.Path);
        Assert.Contains(">= 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownOperator_NamesThePath()
    {
        var error = SingleError("""{"any": [{"attribute": "plan", "op": "like", "value": "p"}]}""");
        Assert.Equal("criteria.any[0].op", error.Path);
        Assert.Contains("unknown operator \"like\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GtOnAStringAttribute_IsATypeMismatch()
    {
        var context = new SegmentParseContext { AttributeType = name => name == "plan" ? SegmentAttributeType.String : null };
        var error = SingleError("""{"all": [{"attribute": "plan", "op": "gt", "value": 3}]}""", context);
        Assert.Equal("criteria.all[0].op", error.Path);
        Assert.Contains("plan is a string attribute", error.Message, StringComparison.Ordinal);
        // Unknown attributes take any operator.
        Assert.NotNull(SegmentCriteriaParser.Parse("""{"attribute": "age", "op": "gt", "value": 3}""", context));
    }

    [Fact]
    public void Parse_EqWithTheWrongType_NamesTheValue()
    {
        var context = new SegmentParseContext { AttributeType = _ => SegmentAttributeType.Number };
        Assert.Equal("criteria.value", SingleError("""{"attribute": "age", "op": "eq", "value": "x"}""", context).Path);
    }

    [Theory]
    [InlineData("""{"event": "A", "within": "14"}""", "criteria.within")]
    [InlineData("""{"event": "A", "within": "0d"}""", "criteria.within")]
    [InlineData("""{"event": "A", "within": "3y"}""", "criteria.within")]
    [InlineData("""{"sequence": {"did": {"event": "A"}, "thenNot": {"event": "B"}, "within": "-1d"}}""", "criteria.sequence.within")]
    [InlineData("""{"attribute": "d", "op": "within", "value": 14}""", "criteria.value")]
    [InlineData("""{"event": "A", "between": ["2026-02-01", "2026-01-01"]}""", "criteria.between[1]")]
    [InlineData("""{"event": "A", "between": ["yesterday", "2026-01-01"]}""", "criteria.between[0]")]
    [InlineData("""{"event": "A", "occurrence": "middle", "op": "within", "value": "1d"}""", "criteria.occurrence")]
    [InlineData("""{"event": "A", "occurrence": "first", "op": "gt", "value": "1d"}""", "criteria.op")]
    [InlineData("""{"event": "A", "aggregate": {"fn": "median", "op": "gt", "value": 1}}""", "criteria.aggregate.fn")]
    [InlineData("""{"event": "A", "filters": [{"property": "p", "op": "within", "value": "1d"}]}""", "criteria.filters[0].op")]
    [InlineData("""{"event": "", "count": {"op": "gte", "value": 1}}""", "criteria.event")]
    [InlineData("""{"event": "A", "colour": "red"}""", "criteria.colour")]
    [InlineData("""{"technology": "cpu", "op": "eq", "value": "x"}""", "criteria.technology")]
    [InlineData("""{"technology": "os", "op": "gt", "value": 1}""", "criteria.op")]
    [InlineData("""{"bucket": {"lt": 1.5}}""", "criteria.bucket.lt")]
    [InlineData("""{"all": []}""", "criteria.all")]
    [InlineData("""{"all": [{"nothing": 1}]}""", "criteria.all[0]")]
    [InlineData("""{"attribute": "a", "op": "isSet", "value": 1}""", "criteria.value")]
    [InlineData("""{"attribute": "a", "op": "in", "value": []}""", "criteria.value")]
    [InlineData("""{"sessions": {"op": "gte", "value": 1.5}}""", "criteria.sessions.value")]
    [InlineData("""[1]""", "criteria")]
    public void Parse_BadInput_NamesThePath(string json, string path) => Assert.Equal(path, SingleError(json).Path);

    [Fact]
    public void Parse_UnknownSegment_IsRefused()
    {
        var context = new SegmentParseContext { Segments = id => id == "known" ? new BucketCondition(1) : null };
        Assert.NotNull(SegmentCriteriaParser.Parse("""{"segment": "known"}""", context));
        var error = SingleError("""{"not": {"segment": "missing"}}""", context);
        Assert.Equal("criteria.not.segment", error.Path);
        Assert.Contains("unknown segment id \"missing\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CycleThroughOtherSegments_IsRefused()
    {
        // s1 -> s2 -> s3 already saved; redefining s3 to use s1 closes a cycle.
        var saved = new Dictionary<string, SegmentCondition>
        {
            ["s1"] = new SegmentMembershipCondition("s2"),
            ["s2"] = new AllCondition([new BucketCondition(1), new SegmentMembershipCondition("s3")]),
            ["s3"] = new BucketCondition(0.5),
        };
        var context = new SegmentParseContext { Segments = id => saved.GetValueOrDefault(id), SegmentId = "s3" };
        var error = SingleError("""{"any": [{"bucket": {"lt": 0.1}}, {"segment": "s1"}]}""", context);
        Assert.Equal("criteria.any[1].segment", error.Path);
        Assert.Contains("s3 → s1 → s2 → s3", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot contain itself", SingleError("""{"segment": "s3"}""", context).Message, StringComparison.Ordinal);
        // A new segment (no id yet) cannot close a cycle.
        Assert.NotNull(SegmentCriteriaParser.Parse("""{"segment": "s1"}""", new SegmentParseContext { Segments = id => saved.GetValueOrDefault(id) }));
    }

    [Fact]
    public void Parse_CollectsEveryError()
    {
        var e = Assert.Throws<SegmentCriteriaException>(() => SegmentCriteriaParser.Parse(
            """{"all": [{"event": "A", "count": {"op": "most", "value": -2}}, {"bucket": {"lt": "x"}}]}"""));
        Assert.Equal(["criteria.all[0].count.op", "criteria.all[0].count.value", "criteria.all[1].bucket.lt"], e.Errors.Select(x => x.Path));
    }

    [Theory]
    [InlineData("30m", 30)]
    [InlineData("2h", 120)]
    [InlineData("14d", 14 * 1440)]
    [InlineData("1w", 10080)]
    public void TryParseDuration_Units(string text, int minutes)
    {
        Assert.True(SegmentCriteriaParser.TryParseDuration(text, out var d));
        Assert.Equal(TimeSpan.FromMinutes(minutes), d);
    }
}
