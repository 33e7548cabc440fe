using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Apps;
using Lodestar.Core.Content;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Variables;

/// <summary>
/// An app's variables: <c>GET|PUT /api/v1/apps/{appId}/variables</c>. <c>defaults</c> are what the code declared
/// (uploaded by <c>setVars</c> in development mode, or set here); <c>values</c> are the server-side overrides, a
/// partial tree laid over the defaults for everyone (and the control of every A/B test).
/// </summary>
public static class VariablesApi
{
    public sealed record VariablesResponse(JsonObject Defaults, JsonObject Values);

    /// <summary>Each part given replaces what is stored; a part left out stays as it is.</summary>
    public sealed record PutVariablesRequest(JsonElement? Defaults, JsonElement? Values);

    public static RouteGroupBuilder MapVariablesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/apps/{appId}/variables").WithTags("Variables");

        group.MapGet("/", Results<Ok<VariablesResponse>, ProblemHttpResult> (string appId, IAppStore apps, IVariableDefaultsStore defaults, IVariableOverridesStore overrides) =>
            apps.Find(appId) is null ? Problems.NotFound($"No app has the id '{appId}'.") : TypedResults.Ok(Read(appId, defaults, overrides)))
            .WithName("GetVariables").WithSummary("The app's variable defaults (from the code) and server-side values (overrides).");

        group.MapPut("/", async Task<Results<Ok<VariablesResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, IVariableDefaultsStore defaults, IVariableOverridesStore overrides, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            var (body, error) = await JsonBody.ReadAsync<PutVariablesRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            if (body!.Defaults is null && body.Values is null)
                return Problems.BadRequest("Send {\"values\": {...}} (server-side overrides, a partial tree) and/or {\"defaults\": {...}}.");
            foreach (var (field, value) in new[] { ("defaults", body.Defaults), ("values", body.Values) })
            {
                if (value is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null and not JsonValueKind.Undefined })
                    return Problems.BadRequest($"{field} must be a JSON object (a tree of variable names and values).", Field(field));
            }

            var now = time.GetUtcNow();
            if (body.Defaults is { ValueKind: JsonValueKind.Object } newDefaults) defaults.Save(appId, newDefaults.GetRawText(), null, now);
            if (body.Values is { ValueKind: JsonValueKind.Object } newValues) overrides.Save(appId, newValues.GetRawText(), now);
            return TypedResults.Ok(Read(appId, defaults, overrides));
        })
        .Accepts<PutVariablesRequest>("application/json", "*/*")
        .WithName("PutVariables")
        .WithSummary("Replaces the server-side values (a partial tree over the defaults: objects key by key, arrays by \"[i]\" keys or whole) and/or the defaults.");

        return api;
    }

    public static Dictionary<string, object?> Field(string field) => new() { ["field"] = field };

    private static VariablesResponse Read(string appId, IVariableDefaultsStore defaults, IVariableOverridesStore overrides) => new(
        VariablesContentPart.Parse(defaults.Find(appId)?.VarsJson) as JsonObject ?? [],
        VariablesContentPart.Parse(overrides.Find(appId)) as JsonObject ?? []);
}
