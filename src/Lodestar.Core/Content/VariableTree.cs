using System.Globalization;
using System.Text.Json.Nodes;

namespace Lodestar.Core.Content;

/// <summary>
/// Variable trees as the Leanplum SDKs see them: the code defaults, with partial trees laid over them (server
/// overrides, A/B-test values), and the diff the SDK applies over its defaults (JS <c>VarCache.mergeHelper</c>):
/// objects merge key by key, scalars replace, arrays are addressed with <c>"[i]"</c> keys.
/// </summary>
public static class VariableTree
{
    /// <summary>
    /// Lays <paramref name="overlay"/> over <paramref name="baseValue"/>: objects key by key, <c>"[i]"</c> keys
    /// change one element of an array, a JSON array or scalar replaces the value, a null leaves it as it is.
    /// Neither input is changed.
    /// </summary>
    public static JsonNode? Merge(JsonNode? baseValue, JsonNode? overlay)
    {
        if (overlay is null) return baseValue?.DeepClone();
        if (overlay is JsonValue or JsonArray) return overlay.DeepClone();
        var patch = (JsonObject)overlay;
        if (baseValue is JsonArray array || (baseValue is null && patch.Count > 0 && patch.All(p => IndexOf(p.Key) is not null)))
        {
            var result = new JsonArray();
            if (baseValue is JsonArray items)
            {
                foreach (var item in items) result.Add(item?.DeepClone());
            }

            foreach (var (key, value) in patch)
            {
                // A key that is no index cannot address an array element; the SDK ignores it too.
                if (IndexOf(key) is not { } index) continue;
                while (result.Count <= index) result.Add(null);
                result[index] = Merge(result[index], value);
            }

            return result;
        }

        var merged = baseValue is JsonObject baseObject ? (JsonObject)baseObject.DeepClone() : [];
        foreach (var (key, value) in patch)
        {
            if (value is null) continue;
            merged[key] = Merge(merged[key], value);
        }

        return merged;
    }

    /// <summary>
    /// The smallest diff that turns <paramref name="defaults"/> into <paramref name="effective"/> when the SDK merges
    /// it: changed keys only, array elements as <c>"[i]"</c> keys, <c>{}</c> when nothing changes. What the SDK's merge
    /// cannot express (a key or array tail removed) is left out: the SDK keeps its default there.
    /// </summary>
    public static JsonObject Diff(JsonNode? defaults, JsonNode? effective) =>
        DiffValue(defaults, effective) as JsonObject ?? [];

    private static JsonNode? DiffValue(JsonNode? defaults, JsonNode? effective)
    {
        if (effective is JsonObject target)
        {
            var result = new JsonObject();
            var source = defaults as JsonObject;
            foreach (var (key, value) in target)
            {
                var before = source?[key];
                if (source is not null && source.ContainsKey(key) && JsonNode.DeepEquals(before, value)) continue;
                if (value is null) continue;
                result[key] = before is null ? value.DeepClone() : DiffValue(before, value);
            }

            return result;
        }

        if (effective is JsonArray list && defaults is JsonArray original)
        {
            var result = new JsonObject();
            for (int i = 0; i < list.Count; i++)
            {
                var before = i < original.Count ? original[i] : null;
                if (i < original.Count && JsonNode.DeepEquals(before, list[i])) continue;
                result[Index(i)] = before is null ? list[i]?.DeepClone() : DiffValue(before, list[i]);
            }

            return result;
        }

        return effective?.DeepClone();
    }

    private static string Index(int i) => "[" + i.ToString(CultureInfo.InvariantCulture) + "]";

    private static int? IndexOf(string key) =>
        key.Length >= 3 && key[0] == '[' && key[^1] == ']' &&
        int.TryParse(key.AsSpan(1, key.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < 100_000
            ? index
            : null;
}
