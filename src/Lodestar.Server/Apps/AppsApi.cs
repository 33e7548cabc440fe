using Lodestar.Core.Apps;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Apps;

/// <summary>Apps and their keys: <c>/api/v1/apps</c>.</summary>
public static class AppsApi
{
    public sealed record CreateAppRequest(string? Name);

    public sealed record RotateKeysRequest(IReadOnlyList<KeyKind>? Kinds);

    public sealed record AppKeysResponse(string Production, string Development, string Export, string SegmentWriteKey);

    public sealed record AppResponse(string Id, string Name, AppKeysResponse Keys, DateTimeOffset CreatedAt)
    {
        public static AppResponse From(App app) => new(app.Id, app.Name,
            new AppKeysResponse(app.Keys.Production, app.Keys.Development, app.Keys.Export, app.Keys.SegmentWriteKey), app.CreatedAt);
    }

    public sealed record AppListResponse(IReadOnlyList<AppResponse> Apps);

    public static RouteGroupBuilder MapAppsApi(this RouteGroupBuilder api)
    {
        var apps = api.MapGroup("/apps").WithTags("Apps");

        apps.MapPost("/", async Task<Results<Created<AppResponse>, ProblemHttpResult>> (HttpRequest request, IAppStore store) =>
        {
            var (body, error) = await JsonBody.ReadAsync<CreateAppRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            string name = body!.Name?.Trim() ?? "";
            if (name.Length is 0 or > 200) return Problems.BadRequest("name is required: 1 to 200 characters.");
            var app = store.Create(name);
            return TypedResults.Created($"/api/v1/apps/{app.Id}", AppResponse.From(app));
        })
        .Accepts<CreateAppRequest>("application/json", "*/*")
        .WithName("CreateApp").WithSummary("Creates an app with its production, development, export and Segment write keys.");

        apps.MapGet("/", (IAppStore store) => TypedResults.Ok(new AppListResponse(store.List().Select(AppResponse.From).ToList())))
            .WithName("ListApps").WithSummary("Lists every app with its keys.");

        apps.MapGet("/{appId}", Results<Ok<AppResponse>, ProblemHttpResult> (string appId, IAppStore store) =>
            store.Find(appId) is { } app ? TypedResults.Ok(AppResponse.From(app)) : Problems.NotFound($"No app has the id '{appId}'."))
            .WithName("GetApp").WithSummary("One app with its keys.");

        apps.MapPost("/{appId}/keys/rotate", async Task<Results<Ok<AppResponse>, ProblemHttpResult>> (string appId, HttpRequest request, IAppStore store) =>
        {
            var (body, error) = await JsonBody.ReadAsync(request, new RotateKeysRequest(null));
            if (error is not null) return Problems.BadRequest(error + " Send {\"kinds\": [\"production\", \"development\", \"export\", \"segmentWriteKey\"]} or no body to rotate all.");
            return store.RotateKeys(appId, body!.Kinds ?? []) is { } app
                ? TypedResults.Ok(AppResponse.From(app))
                : Problems.NotFound($"No app has the id '{appId}'.");
        })
        .Accepts<RotateKeysRequest>("application/json", "*/*")
        .WithName("RotateAppKeys").WithSummary("Replaces the app's keys (all, or the kinds listed); the old keys stop working at once.");

        return api;
    }
}
