using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.AbTests;

namespace Lodestar.Server.Variables;

/// <summary>
/// Fills <c>vars</c> and <c>variants</c>: the code defaults, the server overrides over them, then each A/B test's
/// variant (the earliest-started test last, so it wins a variable several tests set, as in Leanplum), sent as the
/// diff against the defaults.
/// </summary>
public sealed class VariablesContentPart(IVariableDefaultsStore defaults, IVariableOverridesStore overrides, AbTestAssigner assigner) : IPersonContentPart
{
    public async ValueTask ContributeAsync(PersonContentRequest request, PersonContent content, CancellationToken cancellationToken)
    {
        if (request.Action == LeanplumActions.GetNewsfeedMessages) return;
        var codeDefaults = Parse(defaults.Find(request.AppId)?.VarsJson);
        var effective = VariableTree.Merge(codeDefaults, Parse(overrides.Find(request.AppId)));
        var served = await assigner.ServeAsync(request, cancellationToken).ConfigureAwait(false);
        for (int i = served.Count - 1; i >= 0; i--) effective = VariableTree.Merge(effective, AbTestAssigner.Values(served[i].Variant));

        foreach (var (key, value) in VariableTree.Diff(codeDefaults, effective)) content.Vars[key] = value?.DeepClone();
        foreach (var variant in served)
        {
            if (variant.Listed) content.Variants.Add(new JsonObject { ["id"] = variant.Variant.Id });
        }
    }

    public static JsonNode? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
