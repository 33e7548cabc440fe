using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;

namespace Lodestar.Core.Tests.Content;

public sealed class VariableTreeTests
{
    private static JsonNode? J(string json) => JsonNode.Parse(json);

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(J(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    [Fact]
    public void Diff_CapturedLeanplumExample_SendsOnlyTheChangedKeys()
    {
        // From the reference capture: these defaults and this diff give the merged variables the SDK reported.
        var defaults = J("""{"welcomeMessage":"Hello (default)","color":"blue","config":{"maxItems":5}}""");
        var effective = VariableTree.Merge(defaults, J("""{"welcomeMessage":"Hello from the A/B variant","config":{"maxItems":10}}"""));
        AssertJson("""{"welcomeMessage":"Hello from the A/B variant","color":"blue","config":{"maxItems":10}}""", effective);
        AssertJson("""{"welcomeMessage":"Hello from the A/B variant","config":{"maxItems":10}}""", VariableTree.Diff(defaults, effective));
    }

    [Fact]
    public void Diff_NothingChanged_IsEmptyObject()
    {
        var defaults = J("""{"a":1,"b":{"c":[1,2]}}""");
        AssertJson("{}", VariableTree.Diff(defaults, VariableTree.Merge(defaults, J("""{"a":1,"b":{"c":{"[1]":2}}}"""))));
        AssertJson("{}", VariableTree.Diff(defaults, defaults));
        AssertJson("{}", VariableTree.Diff(null, null));
    }

    [Fact]
    public void Merge_IndexKeys_ChangeOneArrayElement()
    {
        var defaults = J("""{"list":["a","b","c"],"items":[{"n":1,"m":2}]}""");
        var effective = VariableTree.Merge(defaults, J("""{"list":{"[1]":"x"},"items":{"[0]":{"m":3}}}"""));
        AssertJson("""{"list":["a","x","c"],"items":[{"n":1,"m":3}]}""", effective);
        AssertJson("""{"list":{"[1]":"x"},"items":{"[0]":{"m":3}}}""", VariableTree.Diff(defaults, effective));
    }

    [Fact]
    public void Diff_WholeArrayInOverride_BecomesIndexKeys()
    {
        var defaults = J("""{"list":["a","b","c"]}""");
        var effective = VariableTree.Merge(defaults, J("""{"list":["a","y","c","d"]}"""));
        AssertJson("""{"list":{"[1]":"y","[3]":"d"}}""", VariableTree.Diff(defaults, effective));
    }

    [Fact]
    public void Merge_NullLeavesTheValue_NewKeysAreAdded()
    {
        var defaults = J("""{"a":1,"b":2}""");
        var effective = VariableTree.Merge(defaults, J("""{"a":null,"c":{"d":true}}"""));
        AssertJson("""{"a":1,"b":2,"c":{"d":true}}""", effective);
        AssertJson("""{"c":{"d":true}}""", VariableTree.Diff(defaults, effective));
    }

    [Fact]
    public void Diff_NoDefaultsUploaded_IsTheWholeOverride()
    {
        AssertJson("""{"greeting":"Hola","n":{"x":1}}""", VariableTree.Diff(null, VariableTree.Merge(null, J("""{"greeting":"Hola","n":{"x":1}}"""))));
    }

    [Fact]
    public void Merge_LaterOverlayWins_KeyByKey()
    {
        var overrides = VariableTree.Merge(J("""{"a":1,"o":{"x":1,"y":1}}"""), J("""{"o":{"x":2}}"""));
        var variant = VariableTree.Merge(overrides, J("""{"o":{"y":3},"a":5}"""));
        AssertJson("""{"a":5,"o":{"x":2,"y":3}}""", variant);
    }

    [Fact]
    public void Diff_AppliedByTheSdkMerge_GivesTheEffectiveTree_RandomTrees()
    {
        var random = new Random(20261129);
        for (int round = 0; round < 2000; round++)
        {
            var defaults = RandomObject(random, depth: 0);
            var overlay = RandomOverlay(random, defaults, depth: 0);
            var effective = VariableTree.Merge(defaults, overlay);
            var diff = VariableTree.Diff(defaults, effective);
            var merged = SdkMerge(defaults.DeepClone(), diff);
            Assert.True(JsonNode.DeepEquals(effective, merged),
                $"defaults {defaults.ToJsonString()}\noverlay {overlay.ToJsonString()}\ndiff {diff.ToJsonString()}\nSDK gets {merged?.ToJsonString()}\nexpected {effective?.ToJsonString()}");
            if (JsonNode.DeepEquals(effective, defaults)) Assert.Empty(diff);
        }
    }

    /// <summary>A line-by-line port of JS SDK 1.9.0 <c>VarCache.applyDiffs</c>'s merge, the reference the diff must satisfy.</summary>
    private static JsonNode? SdkMerge(JsonNode? vars, JsonNode? diff)
    {
        if (diff is JsonValue) return diff.DeepClone();
        if (diff is null) return vars?.DeepClone();
        bool isArrayPatch = false;
        if (vars is null && diff is JsonObject keys)
        {
            isArrayPatch = keys.Count > 0 && keys.All(k => k.Key.Length >= 3 && k.Key[0] == '[' && k.Key[^1] == ']');
        }

        if (vars is JsonArray || isArrayPatch)
        {
            var list = new JsonArray();
            if (vars is JsonArray items) foreach (var item in items) list.Add(item?.DeepClone());
            foreach (var (key, value) in (JsonObject)diff)
            {
                int index = int.Parse(key.AsSpan(1, key.Length - 2), CultureInfo.InvariantCulture);
                while (index >= list.Count) list.Add(null);
                list[index] = SdkMerge(list[index], value);
            }

            return list;
        }

        var result = new JsonObject();
        var patch = (JsonObject)diff;
        if (vars is JsonObject source)
        {
            foreach (var (key, value) in source)
            {
                if (!patch.ContainsKey(key) || patch[key] is null) result[key] = value?.DeepClone();
            }
        }

        foreach (var (key, value) in patch)
        {
            // JS: mergeHelper(vars === null ? null : vars[key] || {}, diff[key])
            var baseValue = vars is JsonObject o ? o[key] : null;
            bool falsy = baseValue is null || (baseValue is JsonValue v &&
                ((v.TryGetValue<bool>(out bool b) && !b) || (v.TryGetValue<double>(out double d) && d == 0) || (v.TryGetValue<string>(out string? s) && s.Length == 0)));
            result[key] = SdkMerge(vars is null ? null : falsy ? new JsonObject() : baseValue!.DeepClone(), value);
        }

        return result;
    }

    private static JsonNode Scalar(Random random) => random.Next(4) switch
    {
        0 => JsonValue.Create(random.Next(1, 50)),
        1 => JsonValue.Create("s" + random.Next(10).ToString(CultureInfo.InvariantCulture)),
        2 => JsonValue.Create(true),
        _ => JsonValue.Create(random.Next(1, 9) / 4.0),
    };

    private static JsonObject RandomObject(Random random, int depth)
    {
        var result = new JsonObject();
        int count = random.Next(1, 5);
        for (int i = 0; i < count; i++) result["k" + i.ToString(CultureInfo.InvariantCulture)] = RandomValue(random, depth + 1);
        return result;
    }

    private static JsonNode RandomValue(Random random, int depth)
    {
        int kind = depth >= 3 ? 0 : random.Next(3);
        if (kind == 1) return RandomObject(random, depth);
        if (kind == 2)
        {
            var array = new JsonArray();
            int count = random.Next(1, 4);
            for (int i = 0; i < count; i++) array.Add(random.Next(3) == 0 && depth < 2 ? RandomObject(random, depth + 1) : Scalar(random));
            return array;
        }

        return Scalar(random);
    }

    /// <summary>An override that keeps each value's type (what the SDK's merge can express): scalars change, arrays grow or change by index, objects gain keys.</summary>
    private static JsonNode RandomOverlay(Random random, JsonNode defaults, int depth)
    {
        switch (defaults)
        {
            case JsonObject source:
            {
                var overlay = new JsonObject();
                foreach (var (key, value) in source)
                {
                    if (random.Next(3) == 0) overlay[key] = RandomOverlay(random, value!, depth + 1);
                }

                if (random.Next(4) == 0) overlay["new" + depth.ToString(CultureInfo.InvariantCulture)] = random.Next(2) == 0 ? Scalar(random) : RandomObject(random, 3);
                return overlay;
            }

            case JsonArray array:
            {
                if (random.Next(2) == 0)
                {
                    var whole = new JsonArray();
                    int count = array.Count + random.Next(0, 2);
                    for (int i = 0; i < count; i++)
                        whole.Add(i < array.Count && random.Next(2) == 0 ? array[i]!.DeepClone() : i < array.Count ? RandomOverlayValue(random, array[i]!, depth) : Scalar(random));
                    return whole;
                }

                var patch = new JsonObject();
                int at = random.Next(array.Count + 1);
                patch["[" + at.ToString(CultureInfo.InvariantCulture) + "]"] = at < array.Count ? RandomOverlay(random, array[at]!, depth + 1) : Scalar(random);
                return patch;
            }

            default:
                return Scalar(random);
        }
    }

    private static JsonNode RandomOverlayValue(Random random, JsonNode value, int depth) =>
        value is JsonObject ? VariableTree.Merge(value, RandomOverlay(random, value, depth + 1))! : Scalar(random);
}
