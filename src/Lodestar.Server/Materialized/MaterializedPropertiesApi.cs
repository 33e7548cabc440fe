using Lodestar.Analytics.Execution;
using Lodestar.Core.Apps;
using Lodestar.Server.Http;
using Lodestar.Storage.DuckDb;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Materialized;

/// <summary>
/// Materialized event properties: <c>/api/v1/apps/{appId}/properties/materialized</c>. A materialized property is
/// copied into a column of the event store so breakdowns and filters by it read the column instead of parsing the
/// JSON of every event; answers stay the same (to the digit), only faster.
/// </summary>
public static class MaterializedPropertiesApi
{
    public sealed record MaterializeRequest(string? Property);

    /// <param name="FilledToSequence">The column holds the property for the app's events up to this sequence (the fill's watermark).</param>
    /// <param name="NewestSequence">The newest event's sequence when this was read.</param>
    /// <param name="Filled">The watermark has reached the newest event (events arriving later are filled in the background).</param>
    /// <param name="Auto">Materialized automatically because queries kept breaking down or filtering by it.</param>
    public sealed record MaterializedResponse(string Property, string Column, long FilledToSequence, long NewestSequence, bool Filled, bool Auto, DateTimeOffset CreatedAt)
    {
        public static MaterializedResponse From(MaterializedProperty p, long newest) =>
            new(p.Property, p.Column, p.FilledTo, newest, p.FilledTo >= newest, p.Auto, p.CreatedAt);
    }

    public sealed record MaterializedListResponse(IReadOnlyList<MaterializedResponse> Properties);

    public static RouteGroupBuilder MapMaterializedPropertiesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/apps/{appId}/properties/materialized").WithTags("Catalog");

        group.MapGet("", Results<Ok<MaterializedListResponse>, ProblemHttpResult> (string appId, IAppStore apps, DuckDbEventStore store) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            long newest = store.MaxSequence();
            return TypedResults.Ok(new MaterializedListResponse(store.MaterializedProperties(appId).Select(p => MaterializedResponse.From(p, newest)).ToList()));
        })
        .WithName("ListMaterializedProperties")
        .WithSummary("The app's materialized event properties, with how far the background fill has come (filled = up to the newest event).");

        group.MapPost("", async Task<Results<Created<MaterializedResponse>, Ok<MaterializedResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, DuckDbEventStore store, MaterializedPropertyFiller filler, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            var (body, error) = await JsonBody.ReadAsync<MaterializeRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            if (body!.Property is not { } property || !AutoMaterializer.MaterializableName(property))
            {
                return Problems.BadRequest("property must be an event property name of 1 to 255 characters without quotes, backslashes or control characters.",
                    new Dictionary<string, object?> { ["field"] = "property" });
            }

            // Adding the column waits for the event writer's current batch.
            var (materialized, created) = await Task.Run(() => store.Materialize(appId, property, auto: false, time.GetUtcNow()));
            filler.Wake();
            var response = MaterializedResponse.From(materialized, store.MaxSequence());
            return created
                ? TypedResults.Created($"/api/v1/apps/{appId}/properties/materialized/{Uri.EscapeDataString(property)}", response)
                : TypedResults.Ok(response);
        })
        .Accepts<MaterializeRequest>("application/json", "*/*")
        .WithName("MaterializeProperty")
        .WithSummary("Materializes an event property ({\"property\": \"category\"}): a column filled in the background; queries use it as far as it is filled.");

        group.MapGet("/{property}", Results<Ok<MaterializedResponse>, ProblemHttpResult> (string appId, string property, IAppStore apps, DuckDbEventStore store) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            return store.MaterializedProperties(appId).FirstOrDefault(p => p.Property == property) is { } found
                ? TypedResults.Ok(MaterializedResponse.From(found, store.MaxSequence()))
                : Problems.NotFound($"The property '{property}' of app '{appId}' is not materialized.");
        })
        .WithName("GetMaterializedProperty")
        .WithSummary("One materialized event property and how far its fill has come.");

        group.MapDelete("/{property}", Results<NoContent, ProblemHttpResult> (string appId, string property, IAppStore apps, DuckDbEventStore store) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            return store.Unmaterialize(appId, property)
                ? TypedResults.NoContent()
                : Problems.NotFound($"The property '{property}' of app '{appId}' is not materialized.");
        })
        .WithName("UnmaterializeProperty")
        .WithSummary("Stops using the property's column (queries read the JSON again); the column itself is dropped at the next start when no app uses it.");

        return api;
    }
}
