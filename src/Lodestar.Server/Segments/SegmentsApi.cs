using System.Text;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Segments;
using Lodestar.Core.Apps;
using Lodestar.Core.Segments;
using Lodestar.Server.Http;
using Lodestar.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Segments;

/// <summary>Saved segments, previews, member lists and templates: <c>/api/v1/apps/{appId}/segments</c>.</summary>
public static class SegmentsApi
{
    public sealed record SegmentRequest(string? Name, JsonNode? Criteria);

    public sealed record SegmentResponse(string Id, string Name, JsonNode? Criteria, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static SegmentResponse From(SavedSegment s) => new(s.Id, s.Name, JsonNode.Parse(s.CriteriaJson), s.CreatedAt, s.UpdatedAt);
    }

    public sealed record SegmentListResponse(IReadOnlyList<SegmentResponse> Segments);

    public sealed record PreviewRequest(JsonNode? Criteria, int? SampleSize);

    public sealed record PreviewResponse(long Persons, IReadOnlyList<string> Sample);

    public sealed record SegmentUser(string PersonId, string UserId);

    public sealed record SegmentUsersResponse(IReadOnlyList<SegmentUser> Users, string? NextCursor);

    public sealed record TemplateParameterResponse(string Name, SegmentTemplates.ParameterKind Kind, JsonNode Default, string Description);

    public sealed record TemplateResponse(string Id, string Name, string Description, IReadOnlyList<TemplateParameterResponse> Parameters, JsonNode Criteria);

    public sealed record TemplateListResponse(IReadOnlyList<TemplateResponse> Templates);

    public sealed record FromTemplateRequest(string? Name, JsonObject? Parameters);

    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 10_000;
    public const int MaxCsvRows = 1_000_000;

    public static RouteGroupBuilder MapSegmentsApi(this RouteGroupBuilder api)
    {
        var segments = api.MapGroup("/apps/{appId}/segments").WithTags("Segments");

        segments.MapPost("/", async Task<Results<Created<SegmentResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, ISegmentStore store, SegmentDefinitions definitions, ReadYourWrites fresh, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            var (body, error) = await JsonBody.ReadAsync<SegmentRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            await WaitAsync(fresh, request.HttpContext.RequestAborted);
            return Save(appId, null, body!.Name, body.Criteria, store, definitions, time) switch
            {
                ({ } saved, _) => TypedResults.Created($"/api/v1/apps/{appId}/segments/{saved.Id}", SegmentResponse.From(saved)),
                (_, var problem) => problem!,
            };
        })
        .Accepts<SegmentRequest>("application/json", "*/*")
        .WithName("CreateSegment")
        .WithSummary("Saves a segment {name, criteria}; invalid criteria get a 400 naming the offending path (errors[].path).");

        segments.MapGet("/", Results<Ok<SegmentListResponse>, ProblemHttpResult> (string appId, IAppStore apps, ISegmentStore store) =>
            apps.Find(appId) is null
                ? AppNotFound(appId)
                : TypedResults.Ok(new SegmentListResponse(store.List(appId).Select(SegmentResponse.From).ToList())))
            .WithName("ListSegments").WithSummary("The app's saved segments, oldest first.");

        segments.MapGet("/templates", Results<Ok<TemplateListResponse>, ProblemHttpResult> (string appId, IAppStore apps) =>
            apps.Find(appId) is null
                ? AppNotFound(appId)
                : TypedResults.Ok(new TemplateListResponse(SegmentTemplates.All.Select(t => new TemplateResponse(
                    t.Id, t.Name, t.Description,
                    t.Parameters.Select(p => new TemplateParameterResponse(p.Name, p.Kind, p.Default.DeepClone(), p.Description)).ToList(),
                    SegmentTemplates.Instantiate(t, null))).ToList())))
            .WithName("ListSegmentTemplates")
            .WithSummary("Ready-made segments (clicked-not-bought, vanished-after-onboarding, lurkers, loyalists) with their parameters and default criteria.");

        segments.MapPost("/templates/{templateId}", async Task<Results<Created<SegmentResponse>, ProblemHttpResult>> (
            string appId, string templateId, HttpRequest request, IAppStore apps, ISegmentStore store, SegmentDefinitions definitions, ReadYourWrites fresh,
            TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            if (SegmentTemplates.Find(templateId) is not { } template)
                return Problems.NotFound($"No segment template has the id '{templateId}'; use one of {string.Join(", ", SegmentTemplates.All.Select(t => t.Id))}.");
            var (body, error) = await JsonBody.ReadAsync(request, new FromTemplateRequest(null, null));
            if (error is not null) return Problems.BadRequest(error);
            JsonObject criteria;
            try
            {
                criteria = SegmentTemplates.Instantiate(template, body!.Parameters);
            }
            catch (SegmentCriteriaException ex)
            {
                return InvalidCriteria(ex);
            }

            await WaitAsync(fresh, request.HttpContext.RequestAborted);
            return Save(appId, null, body.Name ?? template.Name, criteria, store, definitions, time) switch
            {
                ({ } saved, _) => TypedResults.Created($"/api/v1/apps/{appId}/segments/{saved.Id}", SegmentResponse.From(saved)),
                (_, var problem) => problem!,
            };
        })
        .Accepts<FromTemplateRequest>("application/json", "*/*")
        .WithName("CreateSegmentFromTemplate")
        .WithSummary("Saves a segment from a template: {name?, parameters: {event names, durations, counts}}; defaults fill what is left out.");

        segments.MapPost("/preview", async Task<Results<Ok<PreviewResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, SegmentDefinitions definitions, SegmentBatchEvaluator batch, ReadYourWrites fresh,
            TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            var (body, error) = await JsonBody.ReadAsync<PreviewRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            int sample = body!.SampleSize ?? 10;
            if (sample is < 0 or > 1000) return Problems.BadRequest("sampleSize must be between 0 and 1000.", Field("sampleSize"));
            await WaitAsync(fresh, cancellationToken);
            SegmentCondition criteria;
            try
            {
                criteria = definitions.Parse(appId, body.Criteria);
            }
            catch (SegmentCriteriaException ex)
            {
                return InvalidCriteria(ex);
            }

            return await Evaluate(async () =>
            {
                var preview = await batch.PreviewAsync(appId, criteria, definitions.Lookup(appId), time.GetUtcNow(), sample, cancellationToken);
                return new PreviewResponse(preview.Persons, preview.Sample);
            });
        })
        .Accepts<PreviewRequest>("application/json", "*/*")
        .WithName("PreviewSegment")
        .WithSummary("How many persons match criteria now, with a sample of their user ids ({criteria, sampleSize?}); nothing is saved.");

        segments.MapGet("/{segmentId}", Results<Ok<SegmentResponse>, ProblemHttpResult> (string appId, string segmentId, IAppStore apps, ISegmentStore store) =>
            apps.Find(appId) is null ? AppNotFound(appId)
            : store.Find(appId, segmentId) is { } segment ? TypedResults.Ok(SegmentResponse.From(segment))
            : SegmentNotFound(segmentId))
            .WithName("GetSegment").WithSummary("One saved segment.");

        segments.MapPut("/{segmentId}", async Task<Results<Ok<SegmentResponse>, ProblemHttpResult>> (
            string appId, string segmentId, HttpRequest request, IAppStore apps, ISegmentStore store, SegmentDefinitions definitions, ReadYourWrites fresh,
            TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            if (store.Find(appId, segmentId) is not { } existing) return SegmentNotFound(segmentId);
            var (body, error) = await JsonBody.ReadAsync<SegmentRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            await WaitAsync(fresh, request.HttpContext.RequestAborted);
            return Save(appId, existing, body!.Name ?? existing.Name, body.Criteria ?? JsonNode.Parse(existing.CriteriaJson), store, definitions, time) switch
            {
                ({ } saved, _) => TypedResults.Ok(SegmentResponse.From(saved)),
                (_, var problem) => problem!,
            };
        })
        .Accepts<SegmentRequest>("application/json", "*/*")
        .WithName("UpdateSegment").WithSummary("Replaces a segment's name and/or criteria (a cycle through other segments is refused).");

        segments.MapDelete("/{segmentId}", async Task<Results<NoContent, ProblemHttpResult>> (
            string appId, string segmentId, IAppStore apps, ISegmentStore store, IEnumerable<ISegmentReferenceSource> sources, CancellationToken cancellationToken) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            if (store.Find(appId, segmentId) is null) return SegmentNotFound(segmentId);
            var usedBy = new List<SegmentReference>();
            foreach (var source in sources) usedBy.AddRange(await source.FindReferencesAsync(appId, segmentId, cancellationToken));
            if (usedBy.Count > 0)
            {
                return Problems.Create(StatusCodes.Status409Conflict, "The segment is in use.",
                    $"Segment '{segmentId}' is used by {string.Join(", ", usedBy.Select(u => $"{u.Kind} '{u.Name}' ({u.Id})"))}; remove it from them first.",
                    new Dictionary<string, object?> { ["usedBy"] = usedBy });
            }

            store.Delete(appId, segmentId);
            return TypedResults.NoContent();
        })
        .WithName("DeleteSegment").WithSummary("Deletes a segment; 409 with usedBy when a campaign, test, message, journey or segment uses it.");

        segments.MapGet("/{segmentId}/users", async Task<Results<Ok<SegmentUsersResponse>, ContentHttpResult, ProblemHttpResult>> (
            string appId, string segmentId, string? cursor, int? limit, HttpContext context, IAppStore apps, ISegmentStore store,
            SegmentDefinitions definitions, SegmentBatchEvaluator batch, ReadYourWrites fresh, TimeProvider time) =>
        {
            var cancellationToken = context.RequestAborted;
            if (apps.Find(appId) is null) return AppNotFound(appId);
            if (store.Find(appId, segmentId) is not { } segment) return SegmentNotFound(segmentId);
            bool csv = context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));
            int max = csv ? MaxCsvRows : MaxPageSize;
            int size = limit ?? (csv ? MaxCsvRows : DefaultPageSize);
            if (size < 1 || size > max) return Problems.BadRequest($"limit must be between 1 and {max}.", Field("limit"));
            await WaitAsync(fresh, cancellationToken);
            SegmentPage page;
            try
            {
                page = await batch.PageAsync(appId, segment.Criteria, definitions.Lookup(appId), time.GetUtcNow(), cursor, size, cancellationToken);
            }
            catch (QueryTimeoutException ex)
            {
                return Problems.Create(StatusCodes.Status504GatewayTimeout, "The segment took too long to evaluate.", ex.Message);
            }

            if (!csv) return TypedResults.Ok(new SegmentUsersResponse(page.Persons.Select(p => new SegmentUser(p.PersonId, p.UserId)).ToList(), page.NextCursor));
            if (page.NextCursor is not null) context.Response.Headers["X-Next-Cursor"] = page.NextCursor;
            var text = new StringBuilder("personId,userId\n");
            foreach (var person in page.Persons) text.Append(Csv(person.PersonId)).Append(',').Append(Csv(person.UserId)).Append('\n');
            return TypedResults.Content(text.ToString(), "text/csv; charset=utf-8");
        })
        .Produces<SegmentUsersResponse>(contentType: "application/json")
        .Produces<string>(contentType: "text/csv")
        .WithName("ListSegmentUsers")
        .WithSummary("The segment's members now, by person id: JSON pages ({users, nextCursor}; ?cursor=&limit=, up to 10000), or with Accept: text/csv every member (personId,userId; X-Next-Cursor when cut at the limit).");

        return api;
    }

    private static (SavedSegment? Saved, ProblemHttpResult? Problem) Save(
        string appId, SavedSegment? existing, string? name, JsonNode? criteriaJson, ISegmentStore store, SegmentDefinitions definitions, TimeProvider time)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 200) return (null, Problems.BadRequest("name is required: 1 to 200 characters.", Field("name")));
        if (criteriaJson is null) return (null, Problems.BadRequest("criteria is required: a condition such as {\"event\": \"Purchase\"}.", Field("criteria")));
        SegmentCondition criteria;
        try
        {
            criteria = definitions.Parse(appId, criteriaJson, existing?.Id);
        }
        catch (SegmentCriteriaException ex)
        {
            return (null, InvalidCriteria(ex));
        }

        var now = time.GetUtcNow();
        var segment = new SavedSegment
        {
            Id = existing?.Id ?? KeyGenerator.New("seg_", 16),
            AppId = appId,
            Name = name,
            CriteriaJson = criteriaJson.ToJsonString(),
            Criteria = criteria,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        store.Save(segment);
        return (segment, null);
    }

    private static async Task<Results<Ok<T>, ProblemHttpResult>> Evaluate<T>(Func<Task<T>> run)
    {
        try
        {
            return TypedResults.Ok(await run());
        }
        catch (QueryTimeoutException ex)
        {
            return Problems.Create(StatusCodes.Status504GatewayTimeout, "The segment took too long to evaluate.", ex.Message);
        }
    }

    private static async Task WaitAsync(ReadYourWrites fresh, CancellationToken cancellationToken)
    {
        // Every acknowledged event and profile change counts: wait (bounded) for them to reach the stores read.
        await fresh.EventsAsync(cancellationToken);
        await fresh.ProfilesStoredAsync(cancellationToken);
    }

    private static ProblemHttpResult InvalidCriteria(SegmentCriteriaException ex) =>
        Problems.BadRequest("The criteria are invalid: " + ex.Message, new Dictionary<string, object?>
        {
            ["field"] = ex.Errors.FirstOrDefault()?.Path,
            ["errors"] = ex.Errors.Select(e => new { path = e.Path, message = e.Message }).ToList(),
        });

    private static Dictionary<string, object?> Field(string name) => new() { ["field"] = name };

    private static ProblemHttpResult AppNotFound(string appId) => Problems.NotFound($"No app has the id '{appId}'.");

    private static ProblemHttpResult SegmentNotFound(string segmentId) => Problems.NotFound($"No segment of this app has the id '{segmentId}'.");

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
