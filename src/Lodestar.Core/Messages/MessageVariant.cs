using System.Text.Json.Nodes;

namespace Lodestar.Core.Messages;

/// <summary>
/// One arm of an A/B test on a message. It has its own numeric SDK message id, so impressions and actions the SDK
/// tracks name the variant directly. <see cref="Vars"/> is merged over the message's vars (objects key by key).
/// </summary>
public sealed record MessageVariant(long Id, string Name, double Weight, JsonObject Vars)
{
    /// <summary>The message's vars with this variant's merged over them: objects key by key, anything else replaced.</summary>
    public JsonObject MergedOver(JsonObject messageVars)
    {
        ArgumentNullException.ThrowIfNull(messageVars);
        var result = (JsonObject)messageVars.DeepClone();
        Merge(result, Vars);
        return result;
    }

    private static void Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is JsonObject inner && target[key] is JsonObject existing) Merge(existing, inner);
            else target[key] = value?.DeepClone();
        }
    }
}
