using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Apps;
using Lodestar.Core.Experiments;
using Lodestar.Core.Segments;
using Lodestar.Server.Http;
using Lodestar.Server.Variables;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.AbTests;

/// <summary>
/// A/B tests on variables: <c>/api/v1/apps/{appId}/ab-tests</c> (create, list, get, update, pause, resume, finish).
/// Results come from <c>…/ab-tests/{testId}/results</c> over the exposure events the assigner records.
/// </summary>
public static class AbTestsApi
{
    public sealed record AudienceBody(string? SegmentId, double? TrafficPercent);

    /// <param name="Id">On update: an existing variant's id keeps it (and its persons); without one the variant is new.</param>
    public sealed record VariantBody(long? Id, string? Name, double? Weight, JsonElement? Values);

    /// <summary>On create every field but name and variants has a default; on update a field left out stays as it is.</summary>
    public sealed record AbTestBody(string? Name, AudienceBody? Audience, IReadOnlyList<VariantBody?>? Variants, string? Status);

    public sealed record FinishBody(long? WinnerVariantId);

    public sealed record AudienceResponse(string? SegmentId, double TrafficPercent);

    public sealed record VariantResponse(long Id, string Name, double Weight, JsonNode? Values, bool Control, long Persons);

    public sealed record AbTestResponse(
        string Id, string Name, string Status, AudienceResponse Audience, IReadOnlyList<VariantResponse> Variants, long? WinnerVariantId,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt)
    {
        public static AbTestResponse From(AbTest test, IReadOnlyDictionary<long, long> persons) => new(
            test.Id, test.Name, StatusName(test.Status), new AudienceResponse(test.SegmentId, test.TrafficPercent),
            [.. test.Variants.Select((v, i) => new VariantResponse(v.Id, v.Name, v.Weight, AbTestAssigner.Values(v), i == 0, persons.GetValueOrDefault(v.Id)))],
            test.WinnerVariantId, test.CreatedAt, test.UpdatedAt, test.StartedAt);
    }

    public sealed record AbTestListResponse(IReadOnlyList<AbTestResponse> AbTests);

    public static RouteGroupBuilder MapAbTestsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/apps/{appId}/ab-tests").WithTags("A/B tests");

        group.MapPost("/", async Task<Results<Created<AbTestResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, IAbTestStore store, ISegmentAudience audience, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            var (body, error) = await JsonBody.ReadAsync<AbTestBody>(request);
            if (error is not null) return Problems.BadRequest(error);
            var now = time.GetUtcNow();
            var draft = new AbTest("", appId, "", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), null, 100, AbTestStatus.Running, [], null, now, now, null);
            var (test, problem) = await ApplyAsync(draft, body!, creating: true, audience, request.HttpContext.RequestAborted);
            if (problem is not null) return problem;
            if (test!.Status == AbTestStatus.Running) test = test with { StartedAt = now };
            var created = store.Create(test);
            return TypedResults.Created($"/api/v1/apps/{appId}/ab-tests/{created.Id}", AbTestResponse.From(created, new Dictionary<long, long>()));
        })
        .Accepts<AbTestBody>("application/json", "*/*")
        .WithName("CreateAbTest")
        .WithSummary("Creates an A/B test on variables: {name, audience: {segmentId, trafficPercent}, variants: [{name, weight, values}] (the first is the control; " +
            "2 to 16 arms, weights summing to 100), status: running|draft|paused}.");

        group.MapGet("/", Results<Ok<AbTestListResponse>, ProblemHttpResult> (string appId, IAppStore apps, IAbTestStore store) =>
            apps.Find(appId) is null
                ? Problems.NotFound($"No app has the id '{appId}'.")
                : TypedResults.Ok(new AbTestListResponse([.. store.List(appId).Select(t => AbTestResponse.From(t, store.CountAssignments(t.Id)))])))
            .WithName("ListAbTests").WithSummary("Every A/B test of the app, with how many persons each variant has.");

        group.MapGet("/{testId}", Results<Ok<AbTestResponse>, ProblemHttpResult> (string appId, string testId, IAbTestStore store) =>
            store.Find(appId, testId) is { } test
                ? TypedResults.Ok(AbTestResponse.From(test, store.CountAssignments(test.Id)))
                : Problems.NotFound($"App '{appId}' has no A/B test '{testId}'."))
            .WithName("GetAbTest").WithSummary("One A/B test, with how many persons each variant has.");

        group.MapPut("/{testId}", async Task<Results<Ok<AbTestResponse>, ProblemHttpResult>> (
            string appId, string testId, HttpRequest request, IAbTestStore store, ISegmentAudience audience, TimeProvider time) =>
        {
            if (store.Find(appId, testId) is not { } current) return Problems.NotFound($"App '{appId}' has no A/B test '{testId}'.");
            var (body, error) = await JsonBody.ReadAsync<AbTestBody>(request);
            if (error is not null) return Problems.BadRequest(error);
            var (test, problem) = await ApplyAsync(current, body!, creating: false, audience, request.HttpContext.RequestAborted);
            if (problem is not null) return problem;
            return Save(store, Transition(current, test!, time.GetUtcNow()));
        })
        .Accepts<AbTestBody>("application/json", "*/*")
        .WithName("UpdateAbTest")
        .WithSummary("Changes a test (fields left out stay; audience.segmentId \"\" targets everyone again). Persons already assigned keep their " +
            "variant when weights change; a variant left out of variants is deleted and its persons are drawn again.");

        group.MapPost("/{testId}/pause", (string appId, string testId, IAbTestStore store, TimeProvider time) =>
            SetStatus(store, appId, testId, AbTestStatus.Paused, time))
            .WithName("PauseAbTest").WithSummary("Pauses a test: assignments are kept, everyone sees the control until it resumes (as in Leanplum).");

        group.MapPost("/{testId}/resume", (string appId, string testId, IAbTestStore store, TimeProvider time) =>
            SetStatus(store, appId, testId, AbTestStatus.Running, time))
            .WithName("ResumeAbTest").WithSummary("Runs a draft or paused test: assigned persons see their variant again, new persons are drawn.");

        group.MapPost("/{testId}/finish", async Task<Results<Ok<AbTestResponse>, ProblemHttpResult>> (
            string appId, string testId, HttpRequest request, IAbTestStore store, TimeProvider time) =>
        {
            if (store.Find(appId, testId) is not { } current) return Problems.NotFound($"App '{appId}' has no A/B test '{testId}'.");
            var (body, error) = await JsonBody.ReadAsync<FinishBody>(request);
            if (error is not null) return Problems.BadRequest(error);
            if (body!.WinnerVariantId is not { } winner || current.Variant(winner) is null)
                return Problems.BadRequest($"winnerVariantId must be one of the test's variant ids: {string.Join(", ", current.Variants.Select(v => v.Id))}.",
                    VariablesApi.Field("winnerVariantId"));
            return Save(store, current with { Status = AbTestStatus.Finished, WinnerVariantId = winner, UpdatedAt = time.GetUtcNow() });
        })
        .Accepts<FinishBody>("application/json", "*/*")
        .WithName("FinishAbTest").WithSummary("Finishes a test, rolling the chosen variant's values out to everyone: {\"winnerVariantId\": n}.");

        return api;
    }

    private static Results<Ok<AbTestResponse>, ProblemHttpResult> SetStatus(IAbTestStore store, string appId, string testId, AbTestStatus status, TimeProvider time)
    {
        if (store.Find(appId, testId) is not { } current) return Problems.NotFound($"App '{appId}' has no A/B test '{testId}'.");
        if (current.Status == AbTestStatus.Finished) return Problems.BadRequest("The test is finished; it cannot run or pause again.", VariablesApi.Field("status"));
        return Save(store, Transition(current, current with { Status = status }, time.GetUtcNow()));
    }

    private static Results<Ok<AbTestResponse>, ProblemHttpResult> Save(IAbTestStore store, AbTest test) =>
        store.Update(test) is { } saved
            ? TypedResults.Ok(AbTestResponse.From(saved, store.CountAssignments(saved.Id)))
            : Problems.NotFound($"App '{test.AppId}' has no A/B test '{test.Id}'.");

    private static AbTest Transition(AbTest current, AbTest next, DateTimeOffset now) => next with
    {
        UpdatedAt = now,
        StartedAt = next.StartedAt ?? (next.Status == AbTestStatus.Running ? now : null),
        WinnerVariantId = next.Status == AbTestStatus.Finished ? next.WinnerVariantId ?? current.WinnerVariantId : null,
    };

    /// <summary>The test with the body's fields applied and validated, or the problem naming the field that is wrong.</summary>
    private static async Task<(AbTest? Test, ProblemHttpResult? Problem)> ApplyAsync(
        AbTest test, AbTestBody body, bool creating, ISegmentAudience audience, CancellationToken cancellationToken)
    {
        static (AbTest?, ProblemHttpResult?) Fail(string field, string message) =>
            (null, Problems.BadRequest($"{field}: {message}", VariablesApi.Field(field)));

        if (body.Name is not null || creating)
        {
            string name = body.Name?.Trim() ?? "";
            if (name.Length is 0 or > 200) return Fail("name", "required, 1 to 200 characters.");
            test = test with { Name = name };
        }

        if (body.Status is not null)
        {
            if (!Enum.TryParse<AbTestStatus>(body.Status, ignoreCase: true, out var status) || int.TryParse(body.Status, out _))
                return Fail("status", $"'{body.Status}' is not a status; use running, draft or paused (finish with POST …/finish).");
            if (status == AbTestStatus.Finished) return Fail("status", "finish a test with POST …/ab-tests/{testId}/finish and a winnerVariantId.");
            if (test.Status == AbTestStatus.Finished && !creating) return Fail("status", "the test is finished; it cannot run or pause again.");
            test = test with { Status = status };
        }

        if (body.Audience is { } target)
        {
            if (target.TrafficPercent is { } traffic)
            {
                if (!(traffic is >= 0 and <= 100)) return Fail("audience.trafficPercent", $"must be between 0 and 100, not {traffic}.");
                test = test with { TrafficPercent = traffic };
            }

            // On update a null segmentId keeps the segment; "" targets everyone again.
            if (creating || target.SegmentId is not null)
            {
                string? segmentId = string.IsNullOrWhiteSpace(target.SegmentId) ? null : target.SegmentId.Trim();
                if (segmentId is not null && !await audience.ExistsAsync(test.AppId, segmentId, cancellationToken).ConfigureAwait(false))
                    return Fail("audience.segmentId", $"the app has no segment '{segmentId}'.");
                test = test with { SegmentId = segmentId };
            }
        }

        if (body.Variants is { } variants)
        {
            if (variants.Count < 2) return Fail("variants", "a test needs a control and at least one variant (2 arms or more).");
            if (variants.Count > AbTest.MaxArms)
                return Fail("variants", $"at most {AbTest.MaxArms} arms (a control and up to {AbTest.MaxArms - 1} variants), not {variants.Count}.");
            var arms = new List<AbTestVariant>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < variants.Count; i++)
            {
                string at = $"variants[{i}]";
                if (variants[i] is not { } variant) return Fail(at, "must be an object {name, weight, values}.");
                string name = variant.Name?.Trim() is { Length: > 0 and <= 200 } n ? n : (i == 0 ? "Control" : "");
                if (name.Length == 0) return Fail($"{at}.name", "required, 1 to 200 characters.");
                if (!names.Add(name)) return Fail($"{at}.name", $"'{name}' is used by another variant.");
                if (variant.Weight is not { } weight || !(weight is >= 0 and <= 100)) return Fail($"{at}.weight", "required, a percentage from 0 to 100.");
                if (variant.Values is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null and not JsonValueKind.Undefined })
                    return Fail($"{at}.values", "must be a JSON object (the variables this arm overrides).");
                long id = 0;
                if (variant.Id is { } given && !creating)
                {
                    if (test.Variant(given) is null) return Fail($"{at}.id", $"the test has no variant {given}; leave id out for a new variant.");
                    id = given;
                }

                string values = variant.Values is { ValueKind: JsonValueKind.Object } v ? v.GetRawText() : "{}";
                arms.Add(new AbTestVariant(id, name, weight, values));
            }

            double sum = arms.Sum(a => a.Weight);
            if (Math.Abs(sum - 100) > 1e-9) return Fail("variants", $"weights must sum to 100, not {sum}.");
            if (arms.Select(a => a.Id).Where(id => id > 0).Distinct().Count() != arms.Count(a => a.Id > 0))
                return Fail("variants", "a variant id is listed twice.");
            test = test with { Variants = arms };
        }
        else if (creating)
        {
            return Fail("variants", "required: [{\"name\": \"Control\", \"weight\": 50, \"values\": {}}, {\"name\": \"B\", \"weight\": 50, \"values\": {...}}].");
        }

        return (test, null);
    }

    public static string StatusName(AbTestStatus status) => JsonNamingPolicy.CamelCase.ConvertName(status.ToString());
}
