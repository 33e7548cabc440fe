using System.Text.Json.Nodes;
using Lodestar.Core.Messages;

namespace Lodestar.Core.Tests.Messages;

public sealed class MessageKindsTests
{
    private static readonly HashSet<string> NoCustom = [];

    [Fact]
    public void NormalizeVars_SetsName_AndKeepsFields()
    {
        var vars = MessageKinds.NormalizeVars("Confirm", JsonNode.Parse("""{"Message":"Upgrade?","Accept action":{"__name__":"Open URL","URL":"https://x.test/"},"Cancel action":null}"""), NoCustom);
        Assert.Equal("Confirm", vars["__name__"]!.GetValue<string>());
        Assert.Equal("Upgrade?", vars["Message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Popup", """{"Message":"x"}""", "action")]
    [InlineData(null, """{"Message":"x"}""", "action")]
    [InlineData("Alert", """{"Title":"x"}""", "vars.Message")]
    [InlineData("Alert", """{"__name__":"Confirm","Message":"x"}""", "vars.__name__")]
    [InlineData("Web Interstitial", """{"URL":"ftp://x"}""", "vars.URL")]
    [InlineData("HTML", """{"HTML Height":100}""", "vars.Template")]
    [InlineData("Center Popup", """{"Layout":{}}""", "vars")]
    [InlineData("Confirm", """{"Message":"x","Accept action":{"__name__":"Open URL","URL":"not a url"}}""", "vars.Accept action.URL")]
    [InlineData("Confirm", """{"Message":"x","Accept action":"Open URL"}""", "vars.Accept action")]
    [InlineData("Confirm", """["Message"]""", "vars")]
    public void NormalizeVars_Invalid_NamesTheField(string? action, string vars, string field)
    {
        var error = Assert.Throws<MessageDefinitionException>(() => MessageKinds.NormalizeVars(action, JsonNode.Parse(vars), NoCustom));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void NormalizeVars_AcceptsEveryBuiltInKind_AndAppDefinedTemplates()
    {
        MessageKinds.NormalizeVars("Alert", JsonNode.Parse("""{"Message":"m"}"""), NoCustom);
        MessageKinds.NormalizeVars("Center Popup", JsonNode.Parse("""{"Title":{"Text":"t"}}"""), NoCustom);
        MessageKinds.NormalizeVars("Interstitial", JsonNode.Parse("""{"Message":{"Text":"m"}}"""), NoCustom);
        MessageKinds.NormalizeVars("Web Interstitial", JsonNode.Parse("""{"URL":"https://x.test/{{ userAttribute.id }}"}"""), NoCustom);
        MessageKinds.NormalizeVars("HTML", JsonNode.Parse("""{"__file__Template":"lp_public_sf_ui_font.html"}"""), NoCustom);
        var custom = MessageKinds.NormalizeVars("Custom Alert", JsonNode.Parse("""{"Title":"Hi"}"""), new HashSet<string> { "Custom Alert" });
        Assert.Equal("Custom Alert", custom["__name__"]!.GetValue<string>());
    }

    [Fact]
    public void Variant_MergesObjectsKeyByKey()
    {
        var variant = new MessageVariant(7, "B", 50, JsonNode.Parse("""{"Title":{"Text":"B title"},"Message":"B"}""")!.AsObject());
        var merged = variant.MergedOver(JsonNode.Parse("""{"__name__":"Center Popup","Title":{"Text":"A title","Color":1},"Message":"A","Extra":true}""")!.AsObject());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"__name__":"Center Popup","Title":{"Text":"B title","Color":1},"Message":"B","Extra":true}"""), merged), merged.ToJsonString());
    }
}
