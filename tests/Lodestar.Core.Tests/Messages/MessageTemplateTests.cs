using System.Text.Json.Nodes;
using Lodestar.Core.Messages;

namespace Lodestar.Core.Tests.Messages;

public sealed class MessageTemplateTests
{
    private static JsonObject Vars(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Render_UsesAttributes_DefaultsAndEmptyForMissing()
    {
        var template = MessageTemplate.Parse(Vars("""
            {"__name__":"Confirm","Title":"Hi {{ userAttribute.name }}, on {{ userAttribute.plan | default: \"free\" }}",
             "Message":"[{{ userAttribute.missing }}]","Count":3,
             "Accept action":{"__name__":"Open URL","URL":"https://example.test/{{ userAttribute['First name'] }}"},
             "List":["{{ userAttribute.age | plus: 1 }}","plain"]}
            """));
        Assert.True(template.IsPersonalized);

        var pro = template.Render(Vars("""{"name":"Ada","plan":"pro","First name":"A B","age":30}"""));
        Assert.Equal("Hi Ada, on pro", pro["Title"]!.GetValue<string>());
        Assert.Equal("[]", pro["Message"]!.GetValue<string>());
        Assert.Equal("https://example.test/A B", pro["Accept action"]!["URL"]!.GetValue<string>());
        Assert.Equal("31", pro["List"]![0]!.GetValue<string>());
        Assert.Equal("plain", pro["List"]![1]!.GetValue<string>());
        Assert.Equal(3, pro["Count"]!.GetValue<int>());
        Assert.Equal("Confirm", pro["__name__"]!.GetValue<string>());

        var nobody = template.Render(null);
        Assert.Equal("Hi , on free", nobody["Title"]!.GetValue<string>());
        Assert.Equal("https://example.test/", nobody["Accept action"]!["URL"]!.GetValue<string>());
    }

    [Fact]
    public void Render_WithoutTemplates_IsACopy()
    {
        var vars = Vars("""{"__name__":"Alert","Message":"Plain {not a template}"}""");
        var template = MessageTemplate.Parse(vars);
        Assert.False(template.IsPersonalized);
        var rendered = template.Render(Vars("""{"plan":"pro"}"""));
        Assert.True(JsonNode.DeepEquals(vars, rendered));
        Assert.NotSame(vars, rendered);
    }

    [Fact]
    public void Render_NeverThrows_AFailingFieldRendersEmptyAndIsReported()
    {
        var template = MessageTemplate.Parse(Vars("""
            {"A":"{{ userAttribute.name | no_such_filter }}","B":"{{ 10 | divided_by: userAttribute.zero }}","C":"ok {{ userAttribute.name }}"}
            """));
        var failures = new List<string>();
        var rendered = template.Render(Vars("""{"name":"Ada","zero":0}"""), (field, _) => failures.Add(field));
        Assert.Equal("ok Ada", rendered["C"]!.GetValue<string>());
        Assert.All(failures, f => Assert.Contains(f, new[] { "vars.A", "vars.B" }));
        foreach (string failed in failures) Assert.Equal("", rendered[failed[5..]]!.GetValue<string>());
    }

    [Fact]
    public void Parse_SyntaxError_NamesTheField()
    {
        var error = Assert.Throws<MessageDefinitionException>(() => MessageTemplate.Parse(Vars("""{"Title":{"Text":"Hi {{ userAttribute.name "}}"""), "variants[1].vars"));
        Assert.Equal("variants[1].vars.Title.Text", error.Field);
    }
}
