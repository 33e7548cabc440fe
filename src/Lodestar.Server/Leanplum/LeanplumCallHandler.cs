using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Lodestar.Core.Apps;
using Lodestar.Core.Content;
using Lodestar.Core.Events;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Server.Users;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Leanplum;

/// <summary>The answer to a Leanplum call: an HTTP status and one result per action, or an exported file.</summary>
public sealed record LeanplumAnswer(int Status, IReadOnlyList<LeanplumResult> Results, LeanplumExportFile? File = null);

/// <summary>A temporary file of exported events; the endpoint streams it and deletes it.</summary>
public sealed record LeanplumExportFile(string Path, string ContentType, string FileName);

/// <summary>
/// Runs one Leanplum call: checks the app and key, then runs its actions in order (a <c>multi</c> call's items,
/// or the call itself). Tracking actions become events for the one ingestion pipeline; consecutive ones are
/// stored together, and stored before any later action that reads or erases state. A failing item gets its
/// own error and never stops its neighbours.
/// </summary>
public sealed partial class LeanplumCallHandler(
    IAppStore apps,
    LeanplumEventMapper mapper,
    IngestionPipeline pipeline,
    LeanplumSessions sessions,
    IPersonContentSource content,
    IVariableDefaultsStore variableDefaults,
    IInboxStore inbox,
    LeanplumUserData userData,
    PersonLookup lookup,
    TimeProvider time,
    IOptions<LeanplumOptions> options,
    ILogger<LeanplumCallHandler> logger)
{
    /// <summary>A stable answer for <c>getMigrateState</c>: this server speaks Leanplum, not CleverTap.</summary>
    private static readonly string MigrationHash = Convert.ToHexStringLower(SHA256.HashData("lodestar:sdk=lp"u8));

    public async Task<LeanplumAnswer> HandleAsync(LeanplumArgs call, string? clientIp, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        string? action;
        IReadOnlyList<LeanplumArgs?> items;
        bool multi;
        try
        {
            action = call.String(LeanplumParams.Action);
            multi = action == LeanplumActions.Multi;
            items = multi ? call.MultiItems() : [call];
        }
        catch (LeanplumFormatException ex)
        {
            return new LeanplumAnswer(StatusCodes.Status400BadRequest, [LeanplumResult.Fail(ex.Message)]);
        }

        if (string.IsNullOrEmpty(action))
            return new LeanplumAnswer(StatusCodes.Status400BadRequest, [LeanplumResult.Fail(LeanplumErrors.MissingArgument(LeanplumParams.Action))]);

        string?[] requestIds = [.. items.Select(RequestIdOf)];
        LeanplumAnswer AllFail(int status, string message) =>
            new(status, [.. requestIds.Select(id => LeanplumResult.Fail(message).WithRequestId(id))]);

        // The app and key.
        string? appId = SafeString(call, LeanplumParams.AppId);
        string? clientKey = SafeString(call, LeanplumParams.ClientKey);
        if (string.IsNullOrEmpty(appId)) return AllFail(StatusCodes.Status400BadRequest, LeanplumErrors.MissingArgument(LeanplumParams.AppId));
        if (apps.Find(appId) is not { } app) return AllFail(StatusCodes.Status401Unauthorized, LeanplumErrors.AppNotFound);
        if (string.IsNullOrEmpty(clientKey) || app.Keys.KindOf(clientKey) is not { } kind || kind == KeyKind.SegmentWriteKey)
            return AllFail(StatusCodes.Status401Unauthorized, LeanplumErrors.InvalidAccessKey);

        // Leanplum's per-call limits.
        if (items.Count > limits.MaxActionsPerCall) return AllFail(StatusCodes.Status403Forbidden, LeanplumErrors.TooManyActions(limits.MaxActionsPerCall));
        if (multi && CountUsers(items) > limits.MaxUsersPerCall) return AllFail(StatusCodes.Status403Forbidden, LeanplumErrors.TooManyUsers(limits.MaxUsersPerCall));

        if (!multi && action == LeanplumActions.ExportData)
        {
            if (Authorize(action, kind, false) is { } denied) return AllFail(StatusCodes.Status403Forbidden, denied);
            try
            {
                return new LeanplumAnswer(StatusCodes.Status200OK, [], await ExportDataAsync(app.Id, call, cancellationToken).ConfigureAwait(false));
            }
            catch (LeanplumFormatException ex)
            {
                return AllFail(StatusCodes.Status400BadRequest, ex.Message);
            }
        }

        var receivedAt = time.GetUtcNow();
        double? batchTime = multi ? SafeNumber(call, LeanplumParams.Time) : null;
        var results = new LeanplumResult?[items.Count];
        var pending = new List<(int Index, int Count)>();
        var pendingEvents = new List<IncomingEvent>();
        var touchedDevices = new HashSet<string>(StringComparer.Ordinal);

        async Task FlushAsync()
        {
            if (pendingEvents.Count == 0) return;
            // Duplicates (a native SDK resending after a timeout) are answered as successes: they are stored.
            await pipeline.IngestAsync(app.Id, pendingEvents, cancellationToken).ConfigureAwait(false);
            foreach (var (index, _) in pending) results[index] ??= LeanplumResult.Ok();
            pending.Clear();
            pendingEvents.Clear();
        }

        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (items[i] is not { } item)
                {
                    results[i] = LeanplumResult.Fail($"data[{i}] must be a JSON object (one action).");
                    continue;
                }

                try
                {
                    string itemAction = multi ? item.Required(LeanplumParams.Action) : action;
                    if (Authorize(itemAction, kind, item.Bool(LeanplumParams.DevMode) ?? false) is { } denied)
                    {
                        results[i] = LeanplumResult.Fail(denied);
                        continue;
                    }

                    if (LeanplumEventMapper.TrackingActions.Contains(itemAction))
                    {
                        var mapped = mapper.Map(itemAction, item, receivedAt, batchTime, clientIp);
                        var events = WithSession(app.Id, mapped, touchedDevices);
                        pending.Add((i, events.Count));
                        pendingEvents.AddRange(events);
                        if (itemAction is LeanplumActions.MarkNewsfeedMessageAsRead or LeanplumActions.DeleteNewsfeedMessage)
                        {
                            // Stored as events and applied to the inbox at once, so a later download in this call sees it.
                            await FlushAsync().ConfigureAwait(false);
                            ApplyInboxChange(app.Id, item, itemAction);
                        }

                        if (itemAction is LeanplumActions.Start or LeanplumActions.Restart)
                        {
                            await FlushAsync().ConfigureAwait(false);
                            results[i] = await ContentAnswerAsync(app.Id, item, mapped.UserId, mapped.DeviceId, itemAction, start: true, cancellationToken).ConfigureAwait(false);
                        }

                        continue;
                    }

                    await FlushAsync().ConfigureAwait(false);
                    results[i] = await RunAsync(itemAction, app.Id, item, multi, cancellationToken).ConfigureAwait(false);
                }
                catch (LeanplumFormatException ex)
                {
                    LogItemRejected(logger, app.Id, i, ex.Message);
                    results[i] = LeanplumResult.Fail(ex.Message);
                }
            }

            await FlushAsync().ConfigureAwait(false);
        }
        catch (IngestionUnavailableException ex)
        {
            LogUnavailable(logger, ex, app.Id);
            // 5xx: the native SDKs keep the batch and send it again.
            return AllFail(StatusCodes.Status503ServiceUnavailable, LeanplumErrors.Unavailable);
        }
        finally
        {
            sessions.MarkChanged(app.Id, touchedDevices);
        }

        return new LeanplumAnswer(StatusCodes.Status200OK, [.. results.Select((r, i) => (r ?? LeanplumResult.Ok()).WithRequestId(requestIds[i]))]);
    }

    /// <summary>
    /// Runs a call <see cref="LeanplumMultiFastPath"/> read (plain tracks only) when it can answer it as a whole
    /// exactly as <see cref="HandleAsync"/> would: a known app and key, within the limits, every item permitted and
    /// mapped. Null otherwise, with nothing stored: the caller then runs the full path, which gives each refusal.
    /// </summary>
    public async Task<LeanplumAnswer?> TryHandlePlainAsync(LeanplumPlainMulti call, string? clientIp, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        // The key's app from the store's key cache (a query per call otherwise); a key of another app is the full path's to refuse.
        if (apps.FindByKey(call.ClientKey) is not var (app, kind) || app.Id != call.AppId || kind == KeyKind.SegmentWriteKey) return null;
        if (call.Items.Count > limits.MaxActionsPerCall || call.DistinctUsers() > limits.MaxUsersPerCall) return null;
        foreach (var item in call.Items)
        {
            if (Authorize(LeanplumActions.Track, kind, item.DevMode ?? false) is not null) return null;
        }

        var receivedAt = time.GetUtcNow();
        if (mapper.MapPlain(call, receivedAt, clientIp) is not { } mapped) return null;
        var events = new List<IncomingEvent>(mapped.Count);
        var touchedDevices = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var item in mapped) events.AddRange(WithSession(app.Id, item, touchedDevices));
            await pipeline.IngestAsync(app.Id, events, cancellationToken).ConfigureAwait(false);
        }
        catch (IngestionUnavailableException ex)
        {
            LogUnavailable(logger, ex, app.Id);
            return new LeanplumAnswer(StatusCodes.Status503ServiceUnavailable, [.. call.Items.Select(i => LeanplumResult.Fail(LeanplumErrors.Unavailable).WithRequestId(i.RequestId))]);
        }
        finally
        {
            sessions.MarkChanged(app.Id, touchedDevices);
        }

        return new LeanplumAnswer(StatusCodes.Status200OK, [.. call.Items.Select(i => LeanplumResult.Ok().WithRequestId(i.RequestId))]);
    }

    /// <summary>Null when the key may run the action; else Leanplum's error text.</summary>
    public static string? Authorize(string action, KeyKind kind, bool devMode)
    {
        bool exportAction = action is LeanplumActions.ExportUser or LeanplumActions.ExportData;
        if (exportAction) return kind == KeyKind.Export ? null : LeanplumErrors.NeedsKey(action, "export");
        if (kind == KeyKind.Export) return $"{LeanplumErrors.InvalidAccessKey}: the export key only allows exportUser and exportData.";
        if (devMode && kind != KeyKind.Development) return LeanplumErrors.DevelopmentModeNotPermitted;
        if (action is LeanplumActions.SetVars or LeanplumActions.DeleteUser or LeanplumActions.RegisterDevice && kind != KeyKind.Development)
            return LeanplumErrors.NeedsKey(action, "development");
        return null;
    }

    private IReadOnlyList<IncomingEvent> WithSession(string appId, LeanplumMappedItem mapped, HashSet<string> touchedDevices)
    {
        if (mapped.DeviceId is not { } deviceId) return mapped.Events;
        var call = mapped.Events[^1];
        var step = sessions.Apply(appId, deviceId, mapped.Activity, call.Timestamp);
        touchedDevices.Add(deviceId);
        if (!step.SessionStart && step.TimeInAppSeconds is null) return mapped.Events;

        var changes = (call.ProfileChanges ?? new ProfileChanges()) with
        {
            SessionStart = step.SessionStart,
            TimeInAppSeconds = step.TimeInAppSeconds is { } seconds ? Math.Round(seconds, 3) : null,
        };
        var events = mapped.Events.ToArray();
        events[^1] = call with { ProfileChanges = changes };
        return events;
    }

    private async Task<LeanplumResult> RunAsync(string action, string appId, LeanplumArgs item, bool inMulti, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case LeanplumActions.GetVars:
                return await ContentAnswerAsync(appId, item, UserIdOf(item), DeviceIdOf(item), action, start: false, cancellationToken).ConfigureAwait(false);
            case LeanplumActions.GetNewsfeedMessages:
                var inboxContent = await ContentForAsync(appId, UserIdOf(item), DeviceIdOf(item), action, cancellationToken).ConfigureAwait(false);
                return LeanplumResult.Ok(new JsonObject { ["newsfeedMessages"] = inboxContent.NewsfeedMessages.DeepClone() });
            case LeanplumActions.GetMigrateState:
                return LeanplumResult.Ok(new JsonObject { ["sdk"] = "lp", ["sha256"] = MigrationHash });
            case LeanplumActions.SetVars:
                var vars = item.Object("vars");
                var actionDefinitions = item.Object("actionDefinitions");
                if (vars is null && actionDefinitions is null) throw new LeanplumFormatException("Missing argument vars (or actionDefinitions).");
                variableDefaults.Save(appId, vars?.GetRawText(), actionDefinitions?.GetRawText(), time.GetUtcNow());
                return LeanplumResult.Ok();
            case LeanplumActions.DeleteUser:
                string deleteId = PersonIdArgument(item);
                return await userData.DeleteAsync(appId, deleteId, cancellationToken).ConfigureAwait(false)
                    ? LeanplumResult.Ok()
                    : LeanplumResult.Ok(warning: "User not found; nothing was deleted.");
            case LeanplumActions.ExportUser:
                string exportId = PersonIdArgument(item);
                return await userData.ExportAsync(appId, exportId, cancellationToken).ConfigureAwait(false) is { } user
                    ? LeanplumResult.Ok(user)
                    : LeanplumResult.Fail("User not found.");
            case LeanplumActions.ExportData:
                // Answered by the endpoint as a file; inside multi there is nowhere to put it.
                return LeanplumResult.Fail(inMulti
                    ? "exportData must be called on its own (action=exportData), not inside multi."
                    : "exportData is answered as a file; call it directly.");
            case LeanplumActions.Log:
                return LeanplumResult.Ok();
            case LeanplumActions.Multi:
                return LeanplumResult.Fail("multi cannot be nested inside multi.");
            default:
                return LeanplumResult.Fail(LeanplumErrors.UnknownAction(action));
        }
    }

    /// <summary>
    /// Raw events of a date range (<c>startDate</c>/<c>endDate</c> as YYYYMMDD in UTC, end inclusive, or
    /// <c>startTime</c>/<c>endTime</c> in epoch seconds) as JSON lines or CSV (<c>exportFormat</c>).
    /// </summary>
    private async Task<LeanplumExportFile> ExportDataAsync(string appId, LeanplumArgs call, CancellationToken cancellationToken)
    {
        var from = call.Number("startTime") is { } startTime ? LeanplumEventMapper.FromSeconds(startTime) : Date(call, "startDate", required: true)!.Value;
        var to = call.Number("endTime") is { } endTime
            ? LeanplumEventMapper.FromSeconds(endTime)
            : Date(call, "endDate", required: false)?.AddDays(1) ?? time.GetUtcNow().AddSeconds(1);
        if (to <= from) throw new LeanplumFormatException("endDate must not be before startDate.");
        var (format, extension, contentType) = (call.String("exportFormat") ?? "json").ToLowerInvariant() switch
        {
            "json" => (ExportFormat.Jsonl, "json", "application/x-ndjson"),
            "csv" => (ExportFormat.Csv, "csv", "text/csv"),
            var other => throw new LeanplumFormatException($"exportFormat must be json or csv, not '{other}'."),
        };
        string path = Path.Combine(Path.GetTempPath(), $"lodestar-lp-export-{Guid.NewGuid():N}.{extension}");
        var events = userData.Events;
        await userData.EventsCaughtUpAsync(cancellationToken).ConfigureAwait(false);
        await Task.Run(() => events.Export(appId, from, to, format, path), cancellationToken).ConfigureAwait(false);
        return new LeanplumExportFile(path, contentType, $"{appId}-{from:yyyyMMdd}-{to.AddTicks(-1):yyyyMMdd}.{extension}");
    }

    private static DateTimeOffset? Date(LeanplumArgs call, string name, bool required)
    {
        string? text = call.String(name);
        if (string.IsNullOrEmpty(text)) return required ? throw new LeanplumFormatException(LeanplumErrors.MissingArgument(name) + " Use YYYYMMDD.") : null;
        return DateTimeOffset.TryParseExact(text, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : throw new LeanplumFormatException($"{name} must be a date as YYYYMMDD, not '{text}'.");
    }

    private async Task<LeanplumResult> ContentAnswerAsync(
        string appId, LeanplumArgs item, string? userId, string? deviceId, string action, bool start, CancellationToken cancellationToken)
    {
        var personContent = await ContentForAsync(appId, userId, deviceId, action, cancellationToken,
            start ? HeldInboxIds(item) : null).ConfigureAwait(false);
        var fields = new JsonObject
        {
            ["vars"] = personContent.Vars.DeepClone(),
            ["variants"] = personContent.Variants.DeepClone(),
            ["messages"] = personContent.Messages.DeepClone(),
            ["regions"] = new JsonObject(),
            ["localCaps"] = new JsonArray(),
        };
        if (item.Bool("includeVariantDebugInfo") == true) fields["variantDebugInfo"] = new JsonObject { ["abTests"] = new JsonArray() };
        if (start)
        {
            fields["token"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            fields["syncNewsfeed"] = personContent.SyncNewsfeed ?? personContent.NewsfeedMessages.Count > 0;
            fields["isRegistered"] = false;
        }

        return LeanplumResult.Ok(fields);
    }

    private ValueTask<PersonContent> ContentForAsync(
        string appId, string? userId, string? deviceId, string action, CancellationToken cancellationToken, IReadOnlyList<string>? heldInboxIds = null)
    {
        string? personId = PersonOf(appId, userId, deviceId);
        return content.ContentForAsync(new PersonContentRequest(appId, personId, userId, deviceId ?? userId ?? "", action, time.GetUtcNow())
        {
            HeldInboxIds = heldInboxIds,
        }, cancellationToken);
    }

    /// <summary>The inbox ids the device says it holds; an unreadable list counts as none (the SDK then downloads).</summary>
    private static IReadOnlyList<string> HeldInboxIds(LeanplumArgs item)
    {
        try
        {
            return item.StringList(LeanplumParams.NewsfeedMessages) ?? [];
        }
        catch (LeanplumFormatException)
        {
            return [];
        }
    }

    private string? PersonOf(string appId, string? userId, string? deviceId) =>
        (userId is null ? null : lookup.Find(appId, userId)) ?? (deviceId is null ? null : lookup.Find(appId, deviceId));

    private void ApplyInboxChange(string appId, LeanplumArgs item, string action)
    {
        if (PersonOf(appId, UserIdOf(item), DeviceIdOf(item)) is not { } personId) return;
        string inboxId = item.Required(LeanplumParams.NewsfeedMessageId);
        if (action == LeanplumActions.DeleteNewsfeedMessage) inbox.Delete(appId, personId, inboxId);
        else inbox.MarkRead(appId, personId, inboxId);
    }

    private static string PersonIdArgument(LeanplumArgs item) =>
        UserIdOf(item) ?? DeviceIdOf(item) ?? throw new LeanplumFormatException(LeanplumErrors.MissingArgument("userId (or deviceId)"));

    private static string? UserIdOf(LeanplumArgs item)
    {
        string? userId = item.String(LeanplumParams.UserId);
        return string.IsNullOrEmpty(userId) || userId == item.String(LeanplumParams.DeviceId) ? null : userId;
    }

    private static string? DeviceIdOf(LeanplumArgs item) => item.String(LeanplumParams.DeviceId) is { Length: > 0 } id ? id : null;

    private static int CountUsers(IReadOnlyList<LeanplumArgs?> items)
    {
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item is not null && (SafeString(item, LeanplumParams.UserId) ?? SafeString(item, LeanplumParams.DeviceId)) is { Length: > 0 } id) users.Add(id);
        }

        return users.Count;
    }

    private static string? RequestIdOf(LeanplumArgs? item) => item is null ? null : SafeString(item, LeanplumParams.RequestId);

    private static string? SafeString(LeanplumArgs args, string name)
    {
        try
        {
            return args.String(name);
        }
        catch (LeanplumFormatException)
        {
            return null;
        }
    }

    private static double? SafeNumber(LeanplumArgs args, string name)
    {
        try
        {
            return args.Number(name);
        }
        catch (LeanplumFormatException)
        {
            return null;
        }
    }

    [LoggerMessage(4001, LogLevel.Debug, "Leanplum call for app {AppId}: item {Index} rejected: {Reason}")]
    private static partial void LogItemRejected(ILogger logger, string appId, int index, string reason);

    [LoggerMessage(4002, LogLevel.Warning, "Leanplum call for app {AppId} answered 503: the events could not be stored")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string appId);
}
