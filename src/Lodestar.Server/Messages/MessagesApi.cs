using System.Globalization;
using Lodestar.Core.Apps;
using Lodestar.Core.Content;
using Lodestar.Core.Messages;
using Lodestar.Core.Segments;
using Lodestar.Server.Http;
using Lodestar.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Messages;

/// <summary>In-app messages: <c>/api/v1/apps/{appId}/messages</c>.</summary>
public static class MessagesApi
{
    public static RouteGroupBuilder MapMessagesApi(this RouteGroupBuilder api)
    {
        var messages = api.MapGroup("/apps/{appId}/messages").WithTags("Messages");

        messages.MapPost("/", async Task<Results<Created<MessageResponse>, ProblemHttpResult>> (
            string appId, HttpRequest request, IAppStore apps, IMessageStore store, ISegmentAudience segments, IVariableDefaultsStore defaults, TimeProvider time) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            var (body, error) = await JsonBody.ReadAsync<MessageRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            try
            {
                var message = await body!.ToMessageAsync(appId, null, store, segments, defaults, time.GetUtcNow(), request.HttpContext.RequestAborted);
                store.Save(message);
                return TypedResults.Created($"/api/v1/apps/{appId}/messages/{message.Id}", MessageResponse.From(message));
            }
            catch (MessageDefinitionException ex)
            {
                return Invalid(ex);
            }
        })
        .Accepts<MessageRequest>("application/json", "*/*")
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
        .WithName("CreateMessage")
        .WithSummary("Creates an in-app message in Leanplum's format (action, vars, whenTriggers, whenLimits), with priority, window, audience and optional A/B variants.");

        messages.MapGet("/", Results<Ok<MessageListResponse>, ProblemHttpResult> (string appId, string? status, IAppStore apps, IMessageStore store) =>
        {
            if (apps.Find(appId) is null) return AppNotFound(appId);
            MessageStatus? only = null;
            if (!string.IsNullOrEmpty(status))
            {
                if (!Enum.TryParse<MessageStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                    return Problems.BadRequest($"status must be active, paused or finished, not '{status}'.", new Dictionary<string, object?> { ["field"] = "status" });
                only = parsed;
            }

            return TypedResults.Ok(new MessageListResponse([.. store.List(appId, only).Select(MessageResponse.From)]));
        })
            .WithName("ListMessages").WithSummary("Lists the app's in-app messages, optionally only those with a status (active, paused, finished).");

        messages.MapGet("/{messageId:long}", Results<Ok<MessageResponse>, ProblemHttpResult> (string appId, long messageId, IAppStore apps, IMessageStore store) =>
            Find(appId, messageId, apps, store, out var message) is { } problem ? problem : TypedResults.Ok(MessageResponse.From(message!)))
            .WithName("GetMessage").WithSummary("One in-app message.");

        messages.MapPut("/{messageId:long}", async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> (
            string appId, long messageId, HttpRequest request, IAppStore apps, IMessageStore store, ISegmentAudience segments, IVariableDefaultsStore defaults, TimeProvider time) =>
        {
            if (Find(appId, messageId, apps, store, out var existing) is { } problem) return problem;
            if (existing!.Status == MessageStatus.Finished) return Finished(messageId);
            var (body, error) = await JsonBody.ReadAsync<MessageRequest>(request);
            if (error is not null) return Problems.BadRequest(error);
            try
            {
                var message = await body!.ToMessageAsync(appId, existing, store, segments, defaults, time.GetUtcNow(), request.HttpContext.RequestAborted);
                store.Save(message);
                return TypedResults.Ok(MessageResponse.From(message));
            }
            catch (MessageDefinitionException ex)
            {
                return Invalid(ex);
            }
        })
        .Accepts<MessageRequest>("application/json", "*/*")
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
        .WithName("UpdateMessage")
        .WithSummary("Replaces a message's definition; variants sent with their id keep it (and their stats), others are new.");

        MapStatusChange(messages, "pause", MessageStatus.Paused, "PauseMessage", "Stops shipping the message; devices that have it keep it until their next start.");
        MapStatusChange(messages, "resume", MessageStatus.Active, "ResumeMessage", "Ships a paused message again.");
        MapStatusChange(messages, "finish", MessageStatus.Finished, "FinishMessage", "Ends (archives) the message: it is no longer shipped and cannot be resumed.");

        messages.MapGet("/{messageId:long}/stats", async Task<Results<Ok<MessageStatsResponse>, ProblemHttpResult>> (
            string appId, long messageId, IAppStore apps, IMessageStore store, IMessageEventReader events, ReadYourWrites readYourWrites, CancellationToken cancellationToken) =>
        {
            if (Find(appId, messageId, apps, store, out var message) is { } problem) return problem;
            await readYourWrites.EventsAsync(cancellationToken);
            var arms = message!.Variants.Count == 0
                ? [(Id: message.Id, Name: (string?)null)]
                : message.Variants.Select(v => (v.Id, Name: (string?)v.Name)).ToList();
            var counts = events.Counts(appId, [.. arms.Select(a => a.Id.ToString(CultureInfo.InvariantCulture))]);
            return TypedResults.Ok(new MessageStatsResponse(message.Id, [.. arms.Select(arm =>
            {
                string id = arm.Id.ToString(CultureInfo.InvariantCulture);
                var rows = counts.Where(c => c.SdkMessageId == id).ToList();
                var view = rows.FirstOrDefault(r => r.Event == "View");
                return new MessageArmStats(arm.Id, arm.Name, view?.Events ?? 0, view?.Persons ?? 0,
                    rows.Where(r => r.Event != "View").ToDictionary(r => r.Event, r => new MessageEventStats(r.Events, r.Persons), StringComparer.Ordinal));
            })]));
        })
        .WithName("GetMessageStats").WithSummary("Impressions, viewers and actions (Accept, Cancel, Open, …) per variant of a message.");

        return api;
    }

    private static void MapStatusChange(RouteGroupBuilder messages, string verb, MessageStatus status, string name, string summary) =>
        messages.MapPost($"/{{messageId:long}}/{verb}", Results<Ok<MessageResponse>, ProblemHttpResult> (
            string appId, long messageId, IAppStore apps, IMessageStore store, TimeProvider time) =>
        {
            if (Find(appId, messageId, apps, store, out var message) is { } problem) return problem;
            if (message!.Status == MessageStatus.Finished && status != MessageStatus.Finished)
                return Finished(messageId);
            var changed = message.Status == status ? message : message with { Status = status, UpdatedAt = time.GetUtcNow() };
            if (!ReferenceEquals(changed, message)) store.Save(changed);
            return TypedResults.Ok(MessageResponse.From(changed));
        })
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
        .WithName(name).WithSummary(summary);

    private static ProblemHttpResult? Find(string appId, long messageId, IAppStore apps, IMessageStore store, out InAppMessage? message)
    {
        message = null;
        if (apps.Find(appId) is null) return AppNotFound(appId);
        message = store.Find(appId, messageId);
        return message is null ? Problems.NotFound($"App '{appId}' has no message {messageId}.") : null;
    }

    private static ProblemHttpResult Finished(long messageId) =>
        Problems.Create(StatusCodes.Status409Conflict, "The message is finished.", $"Message {messageId} is finished and cannot change; create a new message instead.");

    private static ProblemHttpResult AppNotFound(string appId) => Problems.NotFound($"No app has the id '{appId}'.");

    private static ProblemHttpResult Invalid(MessageDefinitionException ex) =>
        Problems.BadRequest(ex.Message, new Dictionary<string, object?> { ["field"] = ex.Field });
}
