using System.Text.Json;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.Http;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Leanplum;

/// <summary>
/// The Leanplum-compatible SDK and REST endpoint, <c>/api</c>: what the Leanplum JS, Android and iOS SDKs call
/// once pointed at Lodestar (<c>setApiPath</c>, <c>setApiConnectionSettings</c>, <c>setApiHostName</c>).
/// Every answer is Leanplum's <c>{"response":[…]}</c> with CORS headers, so browsers can read it.
/// </summary>
public static partial class LeanplumApi
{
    public const string Path = "/api";

    public static IEndpointRouteBuilder MapLeanplumApi(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync)
            .WithTags("Leanplum API")
            .WithName("LeanplumApi")
            .WithSummary("Leanplum-compatible API: action=multi (data = array of actions) or one action; parameters from the query merged with a JSON, form or multipart body.")
            .WithDescription("Actions: start, stop, heartbeat, pauseSession, resumeSession, pauseState, resumeState, track, advance, " +
                             "setUserAttributes, setDeviceAttributes, setTrafficSourceInfo, registerDevice, getVars, setVars, getNewsfeedMessages, " +
                             "markNewsfeedMessageAsRead, deleteNewsfeedMessage, getMigrateState, deleteUser, exportUser, exportData. " +
                             "Keys: production (tracking), development (devMode, setVars, deleteUser), export (exportUser, exportData).")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status401Unauthorized, contentType: "application/json")
            .Produces(StatusCodes.Status403Forbidden, contentType: "application/json");

        routes.MapMethods(Path, [HttpMethods.Options], (HttpContext context) =>
            {
                AllowCrossOrigin(context);
                context.Response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
                context.Response.Headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.Count > 0
                    ? context.Request.Headers.AccessControlRequestHeaders.ToString()
                    : "Content-Type, Content-Encoding";
                context.Response.Headers.AccessControlMaxAge = "86400";
                return TypedResults.NoContent();
            })
            .WithTags("Leanplum API")
            .WithName("LeanplumApiPreflight")
            .WithSummary("CORS preflight for /api.");
        return routes;
    }

    private static async Task HandleAsync(HttpContext context, LeanplumCallHandler handler, IOptions<LeanplumOptions> options, ILogger<LeanplumCallHandler> logger)
    {
        LeanplumAnswer answer;
        JsonDocument? body = null;
        PooledBody? bytes = null;
        try
        {
            var request = context.Request;
            string? clientIp = context.Connection.RemoteIpAddress?.ToString();
            LeanplumAnswer? plainAnswer = null;
            LeanplumArgs args;
            string? error;
            if (LeanplumRequestReader.IsMultipart(request))
            {
                (args, error) = await LeanplumRequestReader.ReadMultipartAsync(request, options.Value.MaxBodyBytes, context.RequestAborted);
            }
            else
            {
                // A multi call of plain tracks (the SDKs' event queues) is read in one pass; anything else, or
                // anything that call cannot answer as a whole, goes through the full reader and handler.
                // The pooled body is returned in the finally below, after the JSON document that may point into it.
                bytes = await RequestBody.ReadPooledAsync(request, options.Value.MaxBodyBytes, context.RequestAborted);
                if (bytes is not null && LeanplumRequestReader.QueryParameters(request) is { } query && LeanplumMultiFastPath.TryRead(query, bytes.Span) is { } plain)
                    plainAnswer = await handler.TryHandlePlainAsync(plain, clientIp, context.RequestAborted);
                (args, body, error) = plainAnswer is null ? LeanplumRequestReader.Parse(request, bytes?.Memory, options.Value.MaxBodyBytes) : (new LeanplumArgs(), null, null);
            }

            answer = plainAnswer
                ?? (error is not null
                    ? new LeanplumAnswer(StatusCodes.Status400BadRequest, [LeanplumResult.Fail(error)])
                    : await handler.HandleAsync(args, clientIp, context.RequestAborted));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            // A truncated, badly compressed or oversized body.
            answer = new LeanplumAnswer(StatusCodes.Status400BadRequest, [LeanplumResult.Fail($"The request body could not be read: {ex.Message}")]);
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
            answer = new LeanplumAnswer(StatusCodes.Status500InternalServerError, [LeanplumResult.Fail("Internal error; the server's log has the details. Retry later.")]);
        }
        finally
        {
            body?.Dispose();
            bytes?.Dispose();
        }

        AllowCrossOrigin(context);
        if (answer.File is { } file)
        {
            context.Response.RegisterForDispose(new TemporaryFile(file.Path));
            await TypedResults.PhysicalFile(file.Path, file.ContentType, file.FileName).ExecuteAsync(context);
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteStartArray("response");
        foreach (var result in answer.Results) result.WriteTo(writer);
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>Browsers (the JS SDK) may read every answer, errors included; SDK calls carry no credentials.</summary>
    private static void AllowCrossOrigin(HttpContext context) => context.Response.Headers.AccessControlAllowOrigin = "*";

    private sealed class TemporaryFile(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }

    [LoggerMessage(4003, LogLevel.Error, "A Leanplum call failed unexpectedly; it was answered with HTTP 500")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
