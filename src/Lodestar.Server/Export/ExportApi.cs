using System.Globalization;
using Lodestar.Core.Apps;
using Lodestar.Core.Events;
using Lodestar.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lodestar.Server.Export;

/// <summary>Raw event export: <c>GET /api/v1/apps/{appId}/export/events?from&amp;to&amp;format=jsonl|csv|parquet</c>.</summary>
public static class ExportApi
{
    public static RouteGroupBuilder MapExportApi(this RouteGroupBuilder api)
    {
        api.MapGet("/apps/{appId}/export/events", async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> (
            string appId, string? from, string? to, string? format, IAppStore apps, IEventStore events, Users.ReadYourWrites fresh, HttpContext context) =>
        {
            await fresh.EventsAsync(context.RequestAborted);
            if (apps.Find(appId) is null) return Problems.NotFound($"No app has the id '{appId}'.");
            if (!TryParseTime(from, DateTimeOffset.UnixEpoch, out var start)) return Problems.BadRequest("from must be an ISO-8601 date or date-time.");
            if (!TryParseTime(to, DateTimeOffset.MaxValue, out var end)) return Problems.BadRequest("to must be an ISO-8601 date or date-time.");
            if (start > end) return Problems.BadRequest("from must not be after to.");
            if (!Enum.TryParse<ExportFormat>(format ?? "jsonl", ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                return Problems.BadRequest("format must be jsonl, csv or parquet.");

            string path = Path.Combine(Path.GetTempPath(), $"lodestar-export-{Guid.NewGuid():N}.{kind.ToString().ToLowerInvariant()}");
            await Task.Run(() => events.Export(appId, start, end == DateTimeOffset.MaxValue ? new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) : end, kind, path));
            context.Response.OnCompleted(() =>
            {
                File.Delete(path);
                return Task.CompletedTask;
            });
            string contentType = kind switch
            {
                ExportFormat.Csv => "text/csv",
                ExportFormat.Parquet => "application/vnd.apache.parquet",
                _ => "application/x-ndjson",
            };
            return TypedResults.PhysicalFile(path, contentType, $"{appId}-events.{kind.ToString().ToLowerInvariant()}");
        })
        .WithTags("Export").WithName("ExportEvents")
        .WithSummary("Streams the app's events in [from, to) as JSON lines, CSV or Parquet, identities merged.");
        return api;
    }

    private static bool TryParseTime(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
