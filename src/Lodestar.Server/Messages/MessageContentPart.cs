using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Core.Experiments;
using Lodestar.Core.Messages;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion.Leanplum;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Users;

namespace Lodestar.Server.Messages;

/// <summary>
/// Fills <c>messages</c> of <c>start</c>/<c>getVars</c>: every active message inside its start/end time whose
/// audience holds the person, in the person's variant, with its templates rendered from the person's attributes,
/// keyed by its numeric SDK id exactly as the SDKs read it. A per-user limit (<c>times</c>/<c>limitUser</c>) is
/// also enforced here from the stored impressions, so it holds across devices and reinstalls.
/// </summary>
public sealed partial class MessageContentPart(
    IMessageStore store,
    MessageImpressions impressions,
    ISegmentAudience segments,
    ReadYourWrites readYourWrites,
    ProfileProjector profiles,
    ILogger<MessageContentPart> logger) : IPersonContentPart
{
    /// <summary>Parsed templates per SDK message id, replaced when the message changes.</summary>
    private readonly ConcurrentDictionary<(string AppId, long SdkId), (DateTimeOffset Version, MessageTemplate Template)> _templates = new();

    public async ValueTask ContributeAsync(PersonContentRequest request, PersonContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(content);
        if (request.Action == LeanplumActions.GetNewsfeedMessages) return;
        var live = store.List(request.AppId, MessageStatus.Active).Where(m => m.IsLiveAt(request.Now)).ToList();
        if (live.Count == 0) return;
        string assignee = request.PersonId ?? request.DeviceId;

        var shipped = new List<(InAppMessage Message, long SdkId, MessageTemplate Template)>();
        foreach (var message in live)
        {
            if (message.SegmentId is { } segmentId &&
                (request.PersonId is null || !await segments.ContainsAsync(request.AppId, segmentId, request.PersonId, cancellationToken).ConfigureAwait(false)))
                continue;
            long sdkId = message.Id;
            if (message.Variants.Count > 0)
            {
                int arm = VariantAssignment.Pick(Seed(message), assignee, [.. message.Variants.Select(v => v.Weight)]);
                sdkId = message.Variants[arm].Id;
            }

            shipped.Add((message, sdkId, TemplateOf(message, sdkId)));
        }

        shipped = await WithinUserLimitsAsync(request, shipped, cancellationToken).ConfigureAwait(false);
        if (shipped.Count == 0) return;

        JsonObject? attributes = null;
        if (request.PersonId is not null && shipped.Any(s => s.Template.IsPersonalized))
        {
            await readYourWrites.ProfilesAsync(cancellationToken).ConfigureAwait(false);
            attributes = profiles.Find(request.AppId, request.PersonId)?.Attributes;
        }

        // A chain names a message by its id; the person has it under the SDK id of their variant, or not at all.
        var shippedIds = shipped.ToDictionary(s => s.Message.Id.ToString(CultureInfo.InvariantCulture), s => s.SdkId.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
        foreach (var (message, sdkId, template) in shipped.OrderBy(s => s.Message.Priority).ThenBy(s => s.Message.Id))
        {
            var vars = template.Render(attributes, (field, error) => LogRenderFailed(logger, error, request.AppId, message.Id, field));
            ResolveChains(vars, shippedIds);
            content.Messages[sdkId.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["action"] = message.Action,
                ["parentCampaignId"] = message.Id,
                ["priority"] = message.Priority,
                ["vars"] = vars,
                ["whenTriggers"] = message.WhenTriggers.DeepClone(),
                ["unlessTriggers"] = message.UnlessTriggers?.DeepClone(),
                ["whenLimits"] = message.WhenLimits?.DeepClone(),
                // Epoch milliseconds as the JS SDK compares them with Date.now(); 0 = no bound.
                ["startTime"] = message.StartTime?.ToUnixTimeMilliseconds() ?? 0,
                ["endTime"] = message.EndTime?.ToUnixTimeMilliseconds() ?? 0,
            };
        }
    }

    /// <summary>
    /// Points each chain action at the SDK id the person has the chained message under. A chain to a message the
    /// person does not get (other audience, paused, finished) becomes no action: the JS SDK would throw on it.
    /// </summary>
    private static void ResolveChains(JsonObject vars, Dictionary<string, string> shippedIds)
    {
        foreach (var (path, action) in MessageKinds.ChainActions(vars).ToList())
        {
            string? target = action[MessageKinds.ChainedMessageField]?.ToString();
            if (target is not null && shippedIds.TryGetValue(target, out string? sdkId))
            {
                action[MessageKinds.ChainedMessageField] = sdkId;
                continue;
            }

            if (action.Parent is JsonObject parent && action.GetPropertyName() is { } key) parent[key] = null;
        }
    }

    /// <summary>The seed of a message's variant draw: fixed per message, independent of every other test.</summary>
    public static string Seed(InAppMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return $"message:{message.AppId}:{message.Id.ToString(CultureInfo.InvariantCulture)}";
    }

    private async Task<List<(InAppMessage Message, long SdkId, MessageTemplate Template)>> WithinUserLimitsAsync(
        PersonContentRequest request, List<(InAppMessage Message, long SdkId, MessageTemplate Template)> candidates, CancellationToken cancellationToken)
    {
        if (request.PersonId is not { } personId) return candidates;
        var limited = candidates.Where(c => MessageTriggers.PerUserLimit(c.Message.WhenLimits) is not null).ToList();
        if (limited.Count == 0) return candidates;
        // Impressions of every variant count: a person who saw one arm has seen the message.
        var ids = limited.SelectMany(c => c.Message.SdkIds).Select(id => id.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        var seen = await impressions.OfAsync(request.AppId, personId, ids, cancellationToken).ConfigureAwait(false);
        return candidates.Where(c => MessageTriggers.PerUserLimit(c.Message.WhenLimits) is not { } cap ||
            c.Message.SdkIds.Sum(id => seen.GetValueOrDefault(id.ToString(CultureInfo.InvariantCulture))) < cap).ToList();
    }

    private MessageTemplate TemplateOf(InAppMessage message, long sdkId)
    {
        var key = (message.AppId, sdkId);
        if (_templates.TryGetValue(key, out var cached) && cached.Version == message.UpdatedAt) return cached.Template;
        var vars = message.Variants.FirstOrDefault(v => v.Id == sdkId) is { } variant ? variant.MergedOver(message.Vars) : message.Vars;
        var template = MessageTemplate.Parse(vars);
        _templates[key] = (message.UpdatedAt, template);
        return template;
    }

    [LoggerMessage(5101, LogLevel.Warning, "App {AppId}, message {MessageId}: the template in {Field} failed to render; it was sent empty")]
    private static partial void LogRenderFailed(ILogger logger, Exception exception, string appId, long messageId, string field);
}
