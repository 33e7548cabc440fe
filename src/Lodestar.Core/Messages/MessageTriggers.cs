using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Core.Messages;

/// <summary>
/// Checks and normalises "display when" triggers and limits in Leanplum's format
/// (<c>{"verb":"OR","children":[{"subject","noun","verb","objects"}]}</c>) to exactly the subjects and verbs the SDKs
/// match (JS <c>Messages.ts</c>); anything else would silently never show, so it is refused naming the field.
/// </summary>
public static class MessageTriggers
{
    /// <summary>
    /// Trigger subjects and the verbs each accepts (start and resume take none). Leanplum's "start" is subject
    /// <c>start</c>; "start or resume" is subject <c>resume</c> (the SDKs match it on both).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> TriggerVerbs = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["start"] = [],
        ["resume"] = [],
        ["event"] = ["triggers", "triggersWithParameter"],
        ["state"] = ["triggers", "triggersWithParameter"],
        ["userAttribute"] = ["changes", "changesTo"],
    };

    /// <summary>Verbs of the <c>times</c> limit subject.</summary>
    public static readonly IReadOnlyList<string> TimesVerbs = ["limitSession", "limitUser", "limitSecond", "limitMinute", "limitHour", "limitDay"];

    /// <summary>Limit subjects other than <c>times</c>; their verb is not read by the SDKs.</summary>
    public static readonly IReadOnlyList<string> OccurrenceSubjects = ["onNthOccurrence", "everyNthOccurrence"];

    /// <summary>A trigger set, normalised: <c>verb</c> "OR" and every child with subject, noun, verb and objects.</summary>
    /// <exception cref="MessageDefinitionException">The set is malformed or uses a subject or verb the SDKs do not know.</exception>
    public static JsonObject NormalizeTriggers(JsonNode? node, string field)
    {
        var (verb, children) = Group(node, field, "OR");
        if (verb != "OR") throw new MessageDefinitionException(field + ".verb", $"must be \"OR\" (the SDKs show the message when any trigger matches), not \"{verb}\".");
        if (children.Count == 0) throw new MessageDefinitionException(field + ".children", "needs at least one trigger.");
        var normalized = new JsonArray();
        for (int i = 0; i < children.Count; i++)
        {
            string at = $"{field}.children[{i}]";
            var child = Child(children[i], at);
            string subject = RequiredString(child, "subject", at);
            if (!TriggerVerbs.TryGetValue(subject, out var verbs))
                throw new MessageDefinitionException(at + ".subject", $"\"{subject}\" is not a trigger the SDKs know; use one of {Quoted(TriggerVerbs.Keys)}.");
            string childVerb = OptionalString(child, "verb", at) ?? "";
            string noun = OptionalString(child, "noun", at) ?? "";
            var objects = Objects(child, at);
            if (verbs.Length == 0)
            {
                // start / resume: the SDKs read only the subject.
                normalized.Add(Trigger(subject, "", "", []));
                continue;
            }

            if (!verbs.Contains(childVerb, StringComparer.Ordinal))
                throw new MessageDefinitionException(at + ".verb", $"\"{childVerb}\" is not a verb the SDKs know for subject \"{subject}\"; use one of {Quoted(verbs)}.");
            if (noun.Length == 0)
                throw new MessageDefinitionException(at + ".noun", subject == "userAttribute" ? "names the user attribute; it is required." : $"names the {subject}; it is required.");
            switch (childVerb)
            {
                case "triggers" or "changes":
                    objects = [];
                    break;
                case "triggersWithParameter":
                    if (objects.Count != 2 || objects[0] is not JsonValue parameter || parameter.GetValueKind() != JsonValueKind.String ||
                        string.IsNullOrEmpty(parameter.GetValue<string>()) || !IsScalar(objects[1]))
                        throw new MessageDefinitionException(at + ".objects", "must be [parameter name, value] for triggersWithParameter, e.g. [\"item\", \"hat\"].");
                    break;
                case "changesTo":
                    if (objects.Count == 0 || !objects.All(IsScalar))
                        throw new MessageDefinitionException(at + ".objects", "must list the values (strings, numbers or null) the attribute changes to.");
                    break;
            }

            normalized.Add(Trigger(subject, noun, childVerb, objects));
        }

        return new JsonObject { ["verb"] = "OR", ["children"] = normalized };
    }

    /// <summary>A limit set, normalised: <c>verb</c> "AND" and nouns as decimal strings, as Leanplum sends them.</summary>
    /// <exception cref="MessageDefinitionException">The set is malformed or uses a limit the SDKs do not know.</exception>
    public static JsonObject NormalizeLimits(JsonNode? node, string field)
    {
        var (verb, children) = Group(node, field, "AND");
        if (verb != "AND") throw new MessageDefinitionException(field + ".verb", $"must be \"AND\" (every limit must allow the display), not \"{verb}\".");
        var normalized = new JsonArray();
        for (int i = 0; i < children.Count; i++)
        {
            string at = $"{field}.children[{i}]";
            var child = Child(children[i], at);
            string subject = RequiredString(child, "subject", at);
            int count = PositiveInteger(child["noun"], at + ".noun");
            string childVerb = OptionalString(child, "verb", at) ?? "";
            if (subject == "times")
            {
                if (!TimesVerbs.Contains(childVerb, StringComparer.Ordinal))
                    throw new MessageDefinitionException(at + ".verb", $"\"{childVerb}\" is not a limit the SDKs know for subject \"times\"; use one of {Quoted(TimesVerbs)}.");
                if (childVerb == "limitSession" && count != 1)
                    throw new MessageDefinitionException(at + ".noun", "must be 1 for limitSession: the JS SDK shows a per-session-limited message only when it is the session's first display (sessionCount + 1 == N).");
                JsonArray objects = [];
                if (childVerb is not ("limitSession" or "limitUser"))
                {
                    var given = Objects(child, at);
                    int period = given.Count == 0 ? 1 : PositiveInteger(given[0], at + ".objects[0]");
                    objects.Add(period.ToString(CultureInfo.InvariantCulture));
                }

                normalized.Add(Trigger(subject, count.ToString(CultureInfo.InvariantCulture), childVerb, objects));
            }
            else if (OccurrenceSubjects.Contains(subject, StringComparer.Ordinal))
            {
                normalized.Add(Trigger(subject, count.ToString(CultureInfo.InvariantCulture), childVerb, []));
            }
            else
            {
                throw new MessageDefinitionException(at + ".subject",
                    $"\"{subject}\" is not a limit the SDKs know; use \"times\" (with {Quoted(TimesVerbs)}) or one of {Quoted(OccurrenceSubjects)}.");
            }
        }

        return new JsonObject { ["verb"] = "AND", ["children"] = normalized };
    }

    /// <summary>The per-user cap (<c>times</c> / <c>limitUser</c>) of a normalised limit set, if any: the smallest one.</summary>
    public static int? PerUserLimit(JsonObject? limits)
    {
        if (limits?["children"] is not JsonArray children) return null;
        int? smallest = null;
        foreach (var child in children)
        {
            if (child?["subject"]?.GetValue<string>() == "times" && child["verb"]?.GetValue<string>() == "limitUser" &&
                int.TryParse(child["noun"]?.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                smallest = smallest is { } s ? Math.Min(s, n) : n;
        }

        return smallest;
    }

    private static (string Verb, JsonArray Children) Group(JsonNode? node, string field, string defaultVerb)
    {
        if (node is not JsonObject group) throw new MessageDefinitionException(field, "must be an object {\"verb\": …, \"children\": [ … ]}.");
        string verb = group["verb"] switch
        {
            null => defaultVerb,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new MessageDefinitionException(field + ".verb", "must be a string."),
        };
        return group["children"] switch
        {
            null => (verb, []),
            JsonArray children => (verb, children),
            _ => throw new MessageDefinitionException(field + ".children", "must be an array."),
        };
    }

    private static JsonObject Child(JsonNode? node, string at) =>
        node as JsonObject ?? throw new MessageDefinitionException(at, "must be an object {\"subject\", \"noun\", \"verb\", \"objects\"}.");

    private static JsonObject Trigger(string subject, string noun, string verb, JsonArray objects) => new()
    {
        ["subject"] = subject,
        ["noun"] = noun,
        ["verb"] = verb,
        ["objects"] = new JsonArray([.. objects.Select(o => o?.DeepClone())]),
    };

    private static string RequiredString(JsonObject child, string name, string at) =>
        OptionalString(child, name, at) is { Length: > 0 } value ? value : throw new MessageDefinitionException($"{at}.{name}", "is required.");

    private static string? OptionalString(JsonObject child, string name, string at) => child[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => throw new MessageDefinitionException($"{at}.{name}", "must be a string."),
    };

    private static JsonArray Objects(JsonObject child, string at) => child["objects"] switch
    {
        null => [],
        JsonArray array => array,
        _ => throw new MessageDefinitionException(at + ".objects", "must be an array."),
    };

    private static bool IsScalar(JsonNode? node) => node is null || (node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number);

    private static int PositiveInteger(JsonNode? node, string at)
    {
        string? text = node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
            ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
            : null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new MessageDefinitionException(at, $"must be a whole number of at least 1, not {node?.ToJsonString() ?? "null"}.");
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));
}
