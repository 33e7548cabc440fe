using Lodestar.Analytics.Catalog;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Catalog;

/// <summary>The event and attribute catalog, and event definitions: <c>/api/v1/apps/{appId}/events</c>, <c>/attributes</c>.</summary>
public static class CatalogApi
{
    public sealed record EventResponse(
        string Name, long Count, DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen,
        string? DisplayName, string? Description, double Weight, bool IsGoal);

    public sealed record EventListResponse(IReadOnlyList<EventResponse> Events);

    public sealed record FieldListResponse(IReadOnlyList<FieldSummary> Fields);

    public sealed record DefinitionRequest(string? DisplayName, string? Description, double? Weight, bool? IsGoal);

    public sealed record DefinitionResponse(string Name, string? DisplayName, string? Description, double Weight, bool IsGoal, DateTimeOffset UpdatedAt)
    {
        public static DefinitionResponse From(EventDefinition d) => new(d.Name, d.DisplayName, d.Description, d.Weight, d.IsGoal, d.UpdatedAt);
    }

    public static RouteGroupBuilder MapCatalogApi(this RouteGroupBuilder api)
    {
        var app = api.MapGroup("/apps/{appId}").WithTags("Catalog");

        app.MapGet("/events", async Task<Results<Ok<EventListResponse>, ProblemHttpResult>> (
            string appId, IAppStore apps, EventCatalog catalog, IEventDefinitionStore definitions, Users.ReadYourWrites fresh, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            await fresh.EventsAsync(cancellationToken);
            var defined = definitions.List(appId).ToDictionary(d => d.Name, StringComparer.Ordinal);
            var seen = await catalog.EventsAsync(appId, cancellationToken);
            var list = seen.Select(e => Response(e.Name, e, defined.GetValueOrDefault(e.Name)))
                .Concat(defined.Values.Where(d => seen.All(e => e.Name != d.Name)).Select(d => Response(d.Name, null, d)))
                .ToList();
            return TypedResults.Ok(new EventListResponse(list));
        })
        .WithName("ListEvents").WithSummary("Event names with counts, first and last seen, and their definitions (weight, goal).");

        app.MapGet("/events/{name}/properties", async Task<Results<Ok<FieldListResponse>, ProblemHttpResult>> (
            string appId, string name, IAppStore apps, EventCatalog catalog, Users.ReadYourWrites fresh, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            await fresh.EventsAsync(cancellationToken);
            return TypedResults.Ok(new FieldListResponse(await catalog.PropertiesAsync(appId, name, cancellationToken)));
        })
        .WithName("ListEventProperties").WithSummary($"The event's properties with inferred types and example values (from its newest {EventCatalog.SampleSize} occurrences).");

        app.MapGet("/attributes", async Task<Results<Ok<FieldListResponse>, ProblemHttpResult>> (string appId, IAppStore apps, EventCatalog catalog, Users.ReadYourWrites fresh, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            await fresh.ProfilesStoredAsync(cancellationToken);
            return TypedResults.Ok(new FieldListResponse(catalog.Attributes(appId)));
        })
        .WithName("ListAttributes").WithSummary($"Person attributes with inferred types and example values (from up to {EventCatalog.SampleSize} profiles).");

        app.MapGet("/events/{name}", Results<Ok<DefinitionResponse>, ProblemHttpResult> (string appId, string name, IAppStore apps, IEventDefinitionStore definitions) =>
            apps.Find(appId) is null ? Problems.NotFound($"No app has the id '{appId}'.")
            : definitions.Find(appId, name) is { } d ? TypedResults.Ok(DefinitionResponse.From(d))
            : Problems.NotFound($"The event '{name}' has no definition; PUT one."))
        .WithName("GetEventDefinition").WithSummary("The event's definition.");

        app.MapPut("/events/{name}", async Task<Results<Ok<DefinitionResponse>, ProblemHttpResult>> (
            string appId, string name, HttpRequest request, IAppStore apps, IEventDefinitionStore definitions, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            if (name.Length is 0 or > 255) return Problems.BadRequest("The event name must be 1 to 255 characters.");
            var (body, error) = await JsonBody.ReadAsync<DefinitionRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            if (body!.Weight is { } w && (!double.IsFinite(w) || w < 0))
                return Problems.BadRequest("weight must be a finite number ≥ 0.", new Dictionary<string, object?> { ["field"] = "weight" });
            if (body.DisplayName is { Length: > 200 }) return Problems.BadRequest("displayName must be at most 200 characters.", new Dictionary<string, object?> { ["field"] = "displayName" });
            var definition = new EventDefinition
            {
                AppId = appId,
                Name = name,
                DisplayName = body.DisplayName,
                Description = body.Description,
                Weight = body.Weight ?? EventDefinition.DefaultWeight,
                IsGoal = body.IsGoal ?? false,
                UpdatedAt = time.GetUtcNow(),
            };
            definitions.Save(definition);
            return TypedResults.Ok(DefinitionResponse.From(definition));
        })
        .WithName("PutEventDefinition").WithSummary("Sets the event's display name, description, weight (its worth when it has no value) and goal flag.");

        return api;
    }

    private static EventResponse Response(string name, EventSummary? seen, EventDefinition? definition) => new(
        name, seen?.Count ?? 0, seen?.FirstSeen, seen?.LastSeen, definition?.DisplayName, definition?.Description,
        definition?.Weight ?? EventDefinition.DefaultWeight, definition?.IsGoal ?? false);
}
