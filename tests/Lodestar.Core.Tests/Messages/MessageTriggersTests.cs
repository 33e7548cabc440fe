using System.Text.Json.Nodes;
using Lodestar.Core.Messages;

namespace Lodestar.Core.Tests.Messages;

public sealed class MessageTriggersTests
{
    private static JsonObject Triggers(string json) => MessageTriggers.NormalizeTriggers(JsonNode.Parse(json), "whenTriggers");

    private static JsonObject Limits(string json) => MessageTriggers.NormalizeLimits(JsonNode.Parse(json), "whenLimits");

    [Fact]
    public void Triggers_EveryKindTheSdksKnow_EncodeInLeanplumsShape()
    {
        var result = Triggers("""
            {"children":[
              {"subject":"start"},
              {"subject":"resume","verb":"ignored","noun":"x"},
              {"subject":"event","noun":"Purchase Clicked","verb":"triggers","objects":["dropped"]},
              {"subject":"event","noun":"Purchase","verb":"triggersWithParameter","objects":["item","hat"]},
              {"subject":"state","noun":"Checkout","verb":"triggers"},
              {"subject":"userAttribute","noun":"plan","verb":"changes"},
              {"subject":"userAttribute","noun":"plan","verb":"changesTo","objects":["pro",null,3]}
            ]}
            """);
        const string expected = """
            {"verb":"OR","children":[
            {"subject":"start","noun":"","verb":"","objects":[]},
            {"subject":"resume","noun":"","verb":"","objects":[]},
            {"subject":"event","noun":"Purchase Clicked","verb":"triggers","objects":[]},
            {"subject":"event","noun":"Purchase","verb":"triggersWithParameter","objects":["item","hat"]},
            {"subject":"state","noun":"Checkout","verb":"triggers","objects":[]},
            {"subject":"userAttribute","noun":"plan","verb":"changes","objects":[]},
            {"subject":"userAttribute","noun":"plan","verb":"changesTo","objects":["pro",null,3]}]}
            """;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result.ToJsonString());
    }

    [Theory]
    [InlineData("""{"children":[{"subject":"event","noun":"E","verb":"fires"}]}""", "whenTriggers.children[0].verb")]
    [InlineData("""{"children":[{"subject":"install"}]}""", "whenTriggers.children[0].subject")]
    [InlineData("""{"children":[{"subject":"state","verb":"triggers"}]}""", "whenTriggers.children[0].noun")]
    [InlineData("""{"children":[{"subject":"event","noun":"E","verb":"triggersWithParameter","objects":["item"]}]}""", "whenTriggers.children[0].objects")]
    [InlineData("""{"children":[{"subject":"userAttribute","noun":"plan","verb":"changesTo","objects":[]}]}""", "whenTriggers.children[0].objects")]
    [InlineData("""{"children":[{"subject":"userAttribute","noun":"plan","verb":"triggers"}]}""", "whenTriggers.children[0].verb")]
    [InlineData("""{"verb":"AND","children":[{"subject":"start"}]}""", "whenTriggers.verb")]
    [InlineData("""{"children":[]}""", "whenTriggers.children")]
    [InlineData("""{"children":{}}""", "whenTriggers.children")]
    [InlineData("""[]""", "whenTriggers")]
    public void Triggers_NotKnownToTheSdks_NameTheField(string json, string field)
    {
        var error = Assert.Throws<MessageDefinitionException>(() => Triggers(json));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Limits_EveryKind_EncodeNounsAsStrings()
    {
        var result = Limits("""
            {"children":[
              {"subject":"times","noun":1,"verb":"limitSession"},
              {"subject":"times","noun":"3","verb":"limitUser","objects":["dropped"]},
              {"subject":"times","noun":2,"verb":"limitDay","objects":[7]},
              {"subject":"times","noun":5,"verb":"limitHour"},
              {"subject":"onNthOccurrence","noun":4},
              {"subject":"everyNthOccurrence","noun":"2","verb":""}
            ]}
            """);
        const string expected = """
            {"verb":"AND","children":[
            {"subject":"times","noun":"1","verb":"limitSession","objects":[]},
            {"subject":"times","noun":"3","verb":"limitUser","objects":[]},
            {"subject":"times","noun":"2","verb":"limitDay","objects":["7"]},
            {"subject":"times","noun":"5","verb":"limitHour","objects":["1"]},
            {"subject":"onNthOccurrence","noun":"4","verb":"","objects":[]},
            {"subject":"everyNthOccurrence","noun":"2","verb":"","objects":[]}]}
            """;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result.ToJsonString());
        Assert.Equal(3, MessageTriggers.PerUserLimit(result));
    }

    [Theory]
    [InlineData("""{"children":[{"subject":"times","noun":1,"verb":"limitWeekday"}]}""", "whenLimits.children[0].verb")]
    [InlineData("""{"children":[{"subject":"times","noun":2,"verb":"limitSession"}]}""", "whenLimits.children[0].noun")]
    [InlineData("""{"children":[{"subject":"times","noun":0,"verb":"limitUser"}]}""", "whenLimits.children[0].noun")]
    [InlineData("""{"children":[{"subject":"times","noun":"two","verb":"limitUser"}]}""", "whenLimits.children[0].noun")]
    [InlineData("""{"children":[{"subject":"times","noun":1,"verb":"limitDay","objects":[-1]}]}""", "whenLimits.children[0].objects[0]")]
    [InlineData("""{"children":[{"subject":"sometimes","noun":1}]}""", "whenLimits.children[0].subject")]
    [InlineData("""{"verb":"OR","children":[]}""", "whenLimits.verb")]
    public void Limits_NotKnownToTheSdks_NameTheField(string json, string field)
    {
        var error = Assert.Throws<MessageDefinitionException>(() => Limits(json));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void PerUserLimit_IsTheSmallestLimitUser_AndNullWithout()
    {
        Assert.Null(MessageTriggers.PerUserLimit(null));
        Assert.Null(MessageTriggers.PerUserLimit(Limits("""{"children":[{"subject":"times","noun":1,"verb":"limitSession"}]}""")));
        Assert.Equal(2, MessageTriggers.PerUserLimit(Limits(
            """{"children":[{"subject":"times","noun":5,"verb":"limitUser"},{"subject":"times","noun":2,"verb":"limitUser"}]}""")));
    }
}
