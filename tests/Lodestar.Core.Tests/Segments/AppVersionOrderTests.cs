using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;

namespace Lodestar.Core.Tests.Segments;

public sealed class AppVersionOrderTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1.10", "1.9", 1)] // numerically, not as text ("1.10" < "1.9" as text)
    [InlineData("2", "2.0", 0)]
    [InlineData("2.0.0", "2", 0)]
    [InlineData("v2.1", "2.1", 0)]
    [InlineData("2.01", "2.1", 0)] // leading zeros do not count
    [InlineData("2.1", "2.1.1", -1)]
    [InlineData("10.0", "9.99.99", 1)]
    [InlineData("2.1-beta", "2.1", 1)] // text after a number sorts after it
    [InlineData("2.1-beta", "2.1.1", -1)]
    [InlineData("123456789012345678901234", "99999999999999999999", 1)] // longer than any 64-bit number
    public void Compare_OrdersComponentsNumerically(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(AppVersionOrder.Compare(left, right)!.Value));
        Assert.Equal(-expected, Math.Sign(AppVersionOrder.Compare(right, left)!.Value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("beta")]
    public void Key_IsNullForTextThatIsNotAVersion(string? text) => Assert.Null(AppVersionOrder.Key(text));

    [Fact]
    public void Parse_AcceptsOrderingOnAppVersionOnly()
    {
        var c = Assert.IsType<TechnologyCondition>(SegmentCriteriaParser.Parse("""{"technology": "appVersion", "op": "gte", "value": "2.10"}"""));
        Assert.Equal(ValueOperator.Gte, c.Test.Op);
        Assert.Equal("2.10", c.Test.Operand.Text);

        var notVersion = Assert.Throws<SegmentCriteriaException>(() => SegmentCriteriaParser.Parse("""{"technology": "appVersion", "op": "lt", "value": "latest"}"""));
        Assert.Equal("criteria.value", Assert.Single(notVersion.Errors).Path);
        var number = Assert.Throws<SegmentCriteriaException>(() => SegmentCriteriaParser.Parse("""{"technology": "appVersion", "op": "lt", "value": 2}"""));
        Assert.Equal("criteria.value", Assert.Single(number.Errors).Path);
        var os = Assert.Throws<SegmentCriteriaException>(() => SegmentCriteriaParser.Parse("""{"technology": "os", "op": "gt", "value": "12"}"""));
        Assert.Equal("criteria.op", Assert.Single(os.Errors).Path);
    }

    [Fact]
    public void Evaluator_ComparesTheLatestDevicesVersion()
    {
        var profile = new Profile { AppId = "a", PersonId = "p1" };
        profile.Devices["old"] = new Device { Id = "old", AppVersion = "3.0", LastSeen = Now.AddDays(-5) };
        profile.Devices["new"] = new Device { Id = "new", AppVersion = "2.10.1", LastSeen = Now.AddDays(-1) };
        var person = PersonFacts.From(profile, []);
        bool Matches(string op, string value) => SegmentEvaluator.Matches(
            SegmentCriteriaParser.Parse($$"""{"technology": "appVersion", "op": "{{op}}", "value": "{{value}}"}"""), person, Now);

        Assert.True(Matches("gt", "2.9"));
        Assert.True(Matches("gte", "2.10.1"));
        Assert.False(Matches("gt", "2.10.1"));
        Assert.True(Matches("lt", "3"));
        Assert.True(Matches("lte", "2.10.1.0"));
        Assert.False(Matches("lt", "2.10"));

        var unknown = PersonFacts.From(new Profile { AppId = "a", PersonId = "p2" }, []);
        Assert.False(SegmentEvaluator.Matches(SegmentCriteriaParser.Parse("""{"technology": "appVersion", "op": "lt", "value": "99"}"""), unknown, Now));
    }
}
