using System.Text.Json.Nodes;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Segments;

/// <summary>
/// Ready-made criteria for the audiences growth teams ask for most, parameterised by the app's own event names:
/// clicked-not-bought, vanished after onboarding, lurkers, loyalists.
/// </summary>
public static class SegmentTemplates
{
    public enum ParameterKind
    {
        Event,
        Duration,
        Count,
    }

    public sealed record Parameter(string Name, ParameterKind Kind, JsonNode Default, string Description);

    public sealed record Template(string Id, string Name, string Description, IReadOnlyList<Parameter> Parameters, Func<Func<string, JsonNode>, JsonObject> Build);

    public static IReadOnlyList<Template> All { get; } =
    [
        new("clicked-not-bought", "Clicked but not bought",
            "Did the interest event and then did not do the conversion event within the window.",
            [
                new("clicked", ParameterKind.Event, "Add To Cart", "The interest event."),
                new("bought", ParameterKind.Event, "Purchase", "The conversion event."),
                new("within", ParameterKind.Duration, "1d", "How long after the interest event a conversion still counts."),
            ],
            p => new JsonObject
            {
                ["sequence"] = new JsonObject
                {
                    ["did"] = new JsonObject { ["event"] = p("clicked") },
                    ["thenNot"] = new JsonObject { ["event"] = p("bought") },
                    ["within"] = p("within"),
                },
            }),
        new("vanished-after-onboarding", "Vanished after onboarding",
            "Completed onboarding, then showed no activity in the last period.",
            [
                new("onboarded", ParameterKind.Event, "Complete Onboarding", "The event that ends onboarding."),
                new("active", ParameterKind.Event, "Open App", "The event that shows the person is still around."),
                new("inactiveFor", ParameterKind.Duration, "7d", "How long without the activity event."),
            ],
            p => new JsonObject
            {
                ["all"] = new JsonArray(
                    new JsonObject { ["event"] = p("onboarded") },
                    new JsonObject { ["event"] = p("active"), ["count"] = new JsonObject { ["op"] = "eq", ["value"] = 0 }, ["within"] = p("inactiveFor") }),
            }),
        new("lurkers", "Lurkers",
            "Come back often but never convert.",
            [
                new("active", ParameterKind.Event, "Open App", "The visit event."),
                new("converted", ParameterKind.Event, "Purchase", "The conversion event."),
                new("minVisits", ParameterKind.Count, 3, "Visits needed in the period."),
                new("within", ParameterKind.Duration, "30d", "The period."),
            ],
            p => new JsonObject
            {
                ["all"] = new JsonArray(
                    new JsonObject { ["event"] = p("active"), ["count"] = new JsonObject { ["op"] = "gte", ["value"] = p("minVisits") }, ["within"] = p("within") },
                    new JsonObject { ["event"] = p("converted"), ["count"] = new JsonObject { ["op"] = "eq", ["value"] = 0 }, ["within"] = p("within") }),
            }),
        new("loyalists", "Loyalists",
            "Convert repeatedly and were active recently.",
            [
                new("converted", ParameterKind.Event, "Purchase", "The conversion event."),
                new("minConversions", ParameterKind.Count, 3, "Conversions needed in the period."),
                new("within", ParameterKind.Duration, "30d", "The period."),
                new("active", ParameterKind.Event, "Open App", "The activity event."),
                new("activeWithin", ParameterKind.Duration, "7d", "How recently the person must have been active."),
            ],
            p => new JsonObject
            {
                ["all"] = new JsonArray(
                    new JsonObject { ["event"] = p("converted"), ["count"] = new JsonObject { ["op"] = "gte", ["value"] = p("minConversions") }, ["within"] = p("within") },
                    new JsonObject { ["event"] = p("active"), ["within"] = p("activeWithin") }),
            }),
    ];

    public static Template? Find(string id) => All.FirstOrDefault(t => t.Id == id);

    /// <summary>The template's criteria with the given parameters (defaults for those left out); errors name <c>parameters.NAME</c>.</summary>
    public static JsonObject Instantiate(Template template, JsonObject? parameters)
    {
        ArgumentNullException.ThrowIfNull(template);
        var errors = new List<SegmentCriteriaError>();
        var values = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var (key, _) in parameters ?? [])
        {
            if (template.Parameters.All(p => p.Name != key))
                errors.Add(new SegmentCriteriaError("parameters." + key, $"is not a parameter of {template.Id} (it takes {string.Join(", ", template.Parameters.Select(p => p.Name))})"));
        }

        foreach (var parameter in template.Parameters)
        {
            var given = parameters?[parameter.Name];
            var value = given ?? parameter.Default;
            string path = "parameters." + parameter.Name;
            var classified = SegmentValue.From(value);
            bool ok = parameter.Kind switch
            {
                ParameterKind.Event => classified.Kind == SegmentValueKind.String && classified.Text!.Length > 0,
                ParameterKind.Duration => classified.Kind == SegmentValueKind.String && SegmentCriteriaParser.TryParseDuration(classified.Text, out _),
                _ => classified.Kind == SegmentValueKind.Number && classified.Number >= 0 && classified.Number == Math.Floor(classified.Number),
            };
            if (!ok)
            {
                errors.Add(new SegmentCriteriaError(path, parameter.Kind switch
                {
                    ParameterKind.Event => "must be a non-empty event name",
                    ParameterKind.Duration => "must be a duration such as \"7d\"",
                    _ => "must be a whole number >= 0",
                }));
            }

            values[parameter.Name] = value;
        }

        if (errors.Count > 0) throw new SegmentCriteriaException(errors);
        return template.Build(name => values[name].DeepClone());
    }
}
