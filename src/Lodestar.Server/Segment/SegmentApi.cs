using System.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Segment;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Segment;

/// <summary>
/// Segment-spec HTTP tracking API (<c>/v1/track</c>, <c>identify</c>, <c>page</c>, <c>screen</c>, <c>group</c>,
/// <c>alias</c>, <c>batch</c>), as Segment and RudderStack sources send it: the write key is the Basic-auth
/// user name, or <c>writeKey</c> in the body.
/// </summary>
public static class SegmentApi
{
    public sealed record SegmentResponse(bool Success, int Accepted, int Duplicates);

    public sealed record RejectedMessage(int Index, string? MessageId, string Error);

    public static IEndpointRouteBuilder MapSegmentApi(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").WithTags("Segment tracking API");
        foreach (string type in SegmentMessageParser.Types)
        {
            v1.MapPost("/" + type, (HttpContext context, IAppStore apps, SegmentMessageParser parser, IngestionPipeline pipeline, EventValidator validator, TimeProvider time) =>
                    HandleAsync(context, type, apps, parser, pipeline, validator, time))
                .WithName("Segment" + char.ToUpperInvariant(type[0]) + type[1..])
                .WithSummary($"Stores one Segment-spec {type} message (≤ 32 KB).");
        }

        v1.MapPost("/batch", (HttpContext context, IAppStore apps, SegmentMessageParser parser, IngestionPipeline pipeline, EventValidator validator, TimeProvider time) =>
                HandleAsync(context, null, apps, parser, pipeline, validator, time))
            .WithName("SegmentBatch")
            .WithSummary("Stores a Segment-spec batch (≤ 500 KB, each message ≤ 32 KB); valid messages are stored even when others are rejected.");
        return routes;
    }

    private static async Task<Results<Ok<SegmentResponse>, ProblemHttpResult>> HandleAsync(
        HttpContext context, string? type, IAppStore apps, SegmentMessageParser parser, IngestionPipeline pipeline, EventValidator validator, TimeProvider time)
    {
        var options = validator.Options;
        int limit = type is null ? options.MaxBatchBytes : options.MaxMessageBytes;
        var body = await RequestBody.ReadPooledAsync(context.Request, limit, context.RequestAborted);
        if (body is null)
            return Problems.TooLarge($"The body is larger than {limit / 1024} KB, the limit for {(type is null ? "a batch" : "one message")}. Split it into smaller batches.");

        List<IncomingEvent>? fast = null;
        string? bodyKey = null;
        byte[] bytes;
        using (body)
        {
            if (type is null) fast = SegmentBatchFastPath.TryRead(body.Span, validator, time.GetUtcNow(), out bodyKey);
            // The fast path's events copy what they keep, so the body goes back to the pool before the request waits for
            // the pipeline; the document below (the rare shapes, errors, single messages) gets an array of its own.
            bytes = fast is null ? body.Span.ToArray() : [];
        }

        if (fast is not null)
        {
            // The common shape, read in one pass; anything unusual (or wrong) takes the full parser below.
            if (FindApp(context.Request, apps, bodyKey) is not { } app) return UnknownWriteKey(context.Request, bodyKey);
            var stored = await pipeline.IngestAsync(app.Id, fast, context.RequestAborted);
            return TypedResults.Ok(new SegmentResponse(true, fast.Count, stored.Count(o => o == IngestOutcome.Duplicate)));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest($"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Problems.BadRequest("The body must be a JSON object.");

            string? writeKey = root.TryGetProperty("writeKey", out var keyElement) && keyElement.ValueKind == JsonValueKind.String ? keyElement.GetString() : null;
            if (FindApp(context.Request, apps, writeKey) is not { } found) return UnknownWriteKey(context.Request, writeKey);

            var receivedAt = time.GetUtcNow();
            var accepted = new List<IncomingEvent>();
            var rejected = new List<RejectedMessage>();
            if (type is not null)
            {
                var parsed = parser.Parse(root, type, receivedAt, null);
                if (parsed.Event is null) return Problems.BadRequest(parsed.Error!, new Dictionary<string, object?> { ["messageId"] = parsed.MessageId });
                accepted.Add(parsed.Event);
            }
            else
            {
                if (!root.TryGetProperty("batch", out var batch) || batch.ValueKind != JsonValueKind.Array)
                    return Problems.BadRequest("batch is required: an array of Segment messages.");
                DateTimeOffset? sentAt;
                try
                {
                    sentAt = SegmentMessageParser.Timestamp(root, "sentAt", "");
                }
                catch (SegmentFormatException ex)
                {
                    return Problems.BadRequest(ex.Message);
                }

                // Segment's batch-level context applies to every message that has none of its own.
                string? sharedContext = root.TryGetProperty("context", out var shared) && shared.ValueKind == JsonValueKind.Object ? shared.GetRawText() : null;
                int index = 0;
                foreach (var message in batch.EnumerateArray())
                {
                    string path = $"batch[{index}].";
                    int size = JsonMarshal.GetRawUtf8Value(message).Length;
                    var parsed = size > options.MaxMessageBytes
                        ? ParsedMessage.Fail($"{path[..^1]} is {size / 1024} KB; one message may be at most {options.MaxMessageBytes / 1024} KB.", null)
                        : parser.Parse(message, null, receivedAt, sentAt, path);
                    if (parsed.Event is { } e)
                    {
                        accepted.Add(e.ContextJson is null && sharedContext is not null ? e with { ContextJson = sharedContext } : e);
                    }
                    else
                    {
                        rejected.Add(new RejectedMessage(index, parsed.MessageId, parsed.Error!));
                    }

                    index++;
                }
            }

            var outcomes = await pipeline.IngestAsync(found.Id, accepted, context.RequestAborted);
            int duplicates = outcomes.Count(o => o == IngestOutcome.Duplicate);
            if (rejected.Count > 0)
            {
                return Problems.BadRequest(
                    $"{rejected.Count} of {rejected.Count + accepted.Count} messages were rejected; the other {accepted.Count} were stored. See 'rejected'.",
                    new Dictionary<string, object?> { ["accepted"] = accepted.Count, ["duplicates"] = duplicates, ["rejected"] = rejected });
            }

            return TypedResults.Ok(new SegmentResponse(true, accepted.Count, duplicates));
        }
    }

    /// <summary>The app whose Segment write key the request carries (the Basic-auth user name, else <c>writeKey</c> in the body).</summary>
    private static App? FindApp(HttpRequest request, IAppStore apps, string? bodyKey) =>
        (WriteKeyFromHeader(request) ?? bodyKey) is { Length: > 0 } key && apps.FindByKey(key) is { Kind: KeyKind.SegmentWriteKey } found ? found.App : null;

    /// <summary>The 401 for a request <see cref="FindApp"/> found no app for: no write key at all, or one that is not valid.</summary>
    private static ProblemHttpResult UnknownWriteKey(HttpRequest request, string? bodyKey) =>
        string.IsNullOrEmpty(WriteKeyFromHeader(request) ?? bodyKey)
            ? Problems.Unauthorized("Send the app's Segment write key as the Basic-auth user name, or as writeKey in the body.")
            : Problems.Unauthorized("The write key is not valid. Use the app's segmentWriteKey.");

    private static string? WriteKeyFromHeader(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            int colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? decoded : decoded[..colon];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
