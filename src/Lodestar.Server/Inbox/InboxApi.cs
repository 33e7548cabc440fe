using System.Text.Json;
using Lodestar.Core.Apps;
using Lodestar.Core.Content;
using Lodestar.Core.Segments;
using Lodestar.Server.Http;
using Lodestar.Server.Users;
using Lodestar.Server.Variables;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Inbox;

/// <summary>
/// Sends to the app inbox: <c>POST /api/v1/apps/{appId}/inbox</c> to one person (<c>userId</c>), a list
/// (<c>userIds</c>) or a segment (<c>segmentId</c>). The SDKs fetch it with <c>getNewsfeedMessages</c>.
/// </summary>
public static class InboxApi
{
    public const int MaxUserIds = 10_000;

    public sealed record SendInboxRequest(
        string? UserId, IReadOnlyList<string?>? UserIds, string? SegmentId, string? Title, string? Subtitle, string? ImageUrl,
        JsonElement? Data, JsonElement? OpenAction, DateTimeOffset? ExpiresAt);

    /// <param name="UnknownUserIds">User ids no person has used yet; nothing was delivered to them.</param>
    public sealed record SendInboxResponse(long MessageId, int Recipients, IReadOnlyList<string> UnknownUserIds);

    public static RouteGroupBuilder MapInboxApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/apps/{appId}/inbox").WithTags("App inbox");

        group.MapPost("/", async Task<Results<Ok<SendInboxResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, IInboxStore inbox, ISegmentAudience audience, PersonLookup lookup, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            var (body, error) = await JsonBody.ReadAsync<SendInboxRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            static ProblemHttpResult Fail(string field, string message) => Problems.BadRequest($"{field}: {message}", VariablesApi.Field(field));

            int targets = (body!.UserId is null ? 0 : 1) + (body.UserIds is null ? 0 : 1) + (body.SegmentId is null ? 0 : 1);
            if (targets != 1) return Fail("userIds", "give exactly one of userId, userIds (a list) or segmentId.");
            string title = body.Title?.Trim() ?? "";
            if (title.Length is 0 or > 1000) return Fail("title", "required, 1 to 1000 characters.");
            if (body.Subtitle is { Length: > 4000 }) return Fail("subtitle", "at most 4000 characters.");
            if (body.ImageUrl is { } image && !Uri.TryCreate(image, UriKind.Absolute, out _)) return Fail("imageUrl", $"'{image}' is not an absolute URL.");
            if (body.Data is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null and not JsonValueKind.Undefined })
                return Fail("data", "must be a JSON object of key/values.");
            if (body.OpenAction is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } action &&
                (action.ValueKind != JsonValueKind.Object || !action.TryGetProperty("__name__", out var actionName) || actionName.ValueKind != JsonValueKind.String))
                return Fail("openAction", "must be a Leanplum action object with a string __name__, e.g. {\"__name__\": \"Open URL\", \"URL\": \"https://…\"}.");
            var now = time.GetUtcNow();
            if (body.ExpiresAt is { } expires && expires <= now) return Fail("expiresAt", "must be in the future.");

            var persons = new HashSet<string>(StringComparer.Ordinal);
            var unknown = new List<string>();
            if (body.SegmentId is { } segmentId)
            {
                if (!await audience.ExistsAsync(appId, segmentId, request.HttpContext.RequestAborted)) return Fail("segmentId", $"the app has no segment '{segmentId}'.");
                await foreach (string person in audience.PersonsAsync(appId, segmentId, request.HttpContext.RequestAborted)) persons.Add(person);
            }
            else
            {
                var userIds = body.UserIds ?? [body.UserId];
                if (userIds.Count is 0 or > MaxUserIds) return Fail("userIds", $"list 1 to {MaxUserIds} user ids.");
                for (int i = 0; i < userIds.Count; i++)
                {
                    if (string.IsNullOrWhiteSpace(userIds[i])) return Fail(body.UserIds is null ? "userId" : $"userIds[{i}]", "must be a user id, not empty.");
                    if (lookup.Find(appId, userIds[i]!) is { } person) persons.Add(person);
                    else unknown.Add(userIds[i]!);
                }
            }

            var message = inbox.Send(new InboxMessage(0, appId, title, body.Subtitle, body.ImageUrl,
                body.Data is { ValueKind: JsonValueKind.Object } data ? data.GetRawText() : null,
                body.OpenAction is { ValueKind: JsonValueKind.Object } open ? open.GetRawText() : null, now, body.ExpiresAt), persons, now);
            return TypedResults.Ok(new SendInboxResponse(message.Id, persons.Count, unknown));
        })
        .Accepts<SendInboxRequest>("application/json", "*/*")
        .WithName("SendInboxMessage")
        .WithSummary("Delivers an inbox message {userId | userIds | segmentId, title, subtitle, imageUrl, data, openAction, expiresAt} to each person " +
            "(at most 300 kept per person, oldest dropped); answers {messageId, recipients, unknownUserIds}.");

        return api;
    }
}
