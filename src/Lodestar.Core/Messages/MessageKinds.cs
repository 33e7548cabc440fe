using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Core.Messages;

/// <summary>
/// Leanplum's in-app message kinds (the <c>action</c> of a message and the <c>__name__</c> of its vars) and the
/// fields each needs before the SDK templates can show it.
/// </summary>
public static class MessageKinds
{
    /// <summary>The built-in templates; <c>HTML</c> is the rich in-app message.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["Alert", "Confirm", "Center Popup", "Interstitial", "Web Interstitial", "HTML"];

    /// <summary>Actions a field ending in " action" may run, and the field each needs.</summary>
    private static readonly Dictionary<string, string?> ActionFields = new(StringComparer.Ordinal)
    {
        ["Open URL"] = "URL",
        ["Register For Push"] = null,
        ["Chain to Existing Message"] = "Chained message",
    };

    /// <summary>
    /// Checks <paramref name="vars"/> for a message of kind <paramref name="action"/> and returns a copy with
    /// <c>__name__</c> set. <paramref name="customKinds"/> are the templates the app declared in code (<c>setVars</c>).
    /// </summary>
    /// <exception cref="MessageDefinitionException">The kind is unknown or a field it needs is missing or malformed.</exception>
    public static JsonObject NormalizeVars(string? action, JsonNode? vars, IReadOnlySet<string> customKinds, string actionField = "action", string varsField = "vars")
    {
        if (string.IsNullOrWhiteSpace(action)) throw new MessageDefinitionException(actionField, $"is required: one of {string.Join(", ", BuiltIn.Select(k => $"\"{k}\""))} or a template the app defined.");
        bool builtIn = BuiltIn.Contains(action, StringComparer.Ordinal);
        if (!builtIn && !customKinds.Contains(action))
            throw new MessageDefinitionException(actionField, $"\"{action}\" is not a message kind: use one of {string.Join(", ", BuiltIn.Select(k => $"\"{k}\""))} or a template the app defined with defineAction.");
        if (vars is not JsonObject given) throw new MessageDefinitionException(varsField, "must be an object of the message's fields, e.g. {\"Message\": \"Hello\"}.");
        var result = (JsonObject)given.DeepClone();
        if (result["__name__"] is { } name && (name.GetValueKind() != JsonValueKind.String || name.GetValue<string>() != action))
            throw new MessageDefinitionException(varsField + ".__name__", $"must equal action (\"{action}\") or be left out.");
        result["__name__"] = action;

        switch (action)
        {
            case "Alert" or "Confirm":
                RequireText(result, "Message", varsField);
                break;
            case "Center Popup" or "Interstitial":
                if (result["Title"] is null && result["Message"] is null)
                    throw new MessageDefinitionException(varsField, $"a {action} needs a Title or a Message.");
                break;
            case "Web Interstitial":
                RequireUrl(result, "URL", varsField);
                break;
            case "HTML":
                if (Text(result["Template"]) is null && Text(result["__file__Template"]) is null)
                    throw new MessageDefinitionException(varsField + ".Template", "a rich (HTML) message needs its Template (or __file__Template).");
                break;
        }

        if (builtIn) CheckActions(result, varsField);
        return result;
    }

    /// <summary>Fields named "… action" hold null, "" or an action object the SDKs run.</summary>
    private static void CheckActions(JsonObject vars, string field)
    {
        foreach (var (key, value) in vars)
        {
            if (!key.EndsWith(" action", StringComparison.Ordinal) || value is null || Text(value) == "") continue;
            string at = $"{field}.{key}";
            if (value is not JsonObject action || Text(action["__name__"]) is not { Length: > 0 } name)
                throw new MessageDefinitionException(at, "must be null or an action object with __name__, e.g. {\"__name__\": \"Open URL\", \"URL\": \"https://…\"}.");
            if (!ActionFields.TryGetValue(name, out string? needed)) continue; // a message kind embedded as the action: shown as a chained message
            if (needed == "URL") RequireUrl(action, "URL", at);
            else if (needed is not null && action[needed] is null) throw new MessageDefinitionException($"{at}.{needed}", $"is required for {name}.");
        }
    }

    /// <summary>The action name of "Chain to Existing Message"; its <c>Chained message</c> holds the other message's id.</summary>
    public const string ChainAction = "Chain to Existing Message";

    /// <summary>The field of a chain action that names the message to show next.</summary>
    public const string ChainedMessageField = "Chained message";

    /// <summary>Every chain action in <paramref name="vars"/> (at any depth) with its path under <paramref name="field"/>.</summary>
    public static IEnumerable<(string Path, JsonObject Action)> ChainActions(JsonObject vars, string field = "vars")
    {
        ArgumentNullException.ThrowIfNull(vars);
        foreach (var (key, value) in vars)
        {
            if (value is not JsonObject inner) continue;
            string at = $"{field}.{key}";
            if (Text(inner["__name__"]) == ChainAction) yield return (at, inner);
            foreach (var nested in ChainActions(inner, at)) yield return nested;
        }
    }

    private static void RequireText(JsonObject vars, string key, string field)
    {
        if (vars[key] is null) throw new MessageDefinitionException($"{field}.{key}", "is required.");
    }

    private static void RequireUrl(JsonObject vars, string key, string field)
    {
        string? url = Text(vars[key]);
        // A template ({{ … }}) renders per person; only a literal URL can be checked here.
        if (url is null || (!url.Contains("{{", StringComparison.Ordinal) &&
                            !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")))
            throw new MessageDefinitionException($"{field}.{key}", "must be an absolute http(s) URL.");
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
