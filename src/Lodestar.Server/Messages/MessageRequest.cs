using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Core.Content;
using Lodestar.Core.Messages;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Messages;

/// <summary>The body of <c>POST</c>/<c>PUT …/messages</c>: Leanplum's own message format plus the management fields.</summary>
public sealed record MessageRequest(
    string? Name,
    string? Action,
    JsonNode? Vars,
    JsonNode? WhenTriggers,
    JsonNode? UnlessTriggers,
    JsonNode? WhenLimits,
    int? Priority,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    MessageAudienceRequest? Audience,
    MessageStatus? Status,
    IReadOnlyList<MessageVariantRequest>? Variants)
{
    /// <summary>
    /// The message this request defines, checked field by field. On update, <paramref name="existing"/> keeps the
    /// message's id, creation time and the ids of variants sent back with their <c>id</c>.
    /// </summary>
    /// <exception cref="MessageDefinitionException">A field is missing or wrong; its name is in the exception.</exception>
    public async Task<InAppMessage> ToMessageAsync(
        string appId, InAppMessage? existing, IMessageStore store, ISegmentAudience segments, IVariableDefaultsStore defaults,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        string name = Name?.Trim() ?? "";
        if (name.Length is 0 or > 200) throw new MessageDefinitionException("name", "is required: 1 to 200 characters.");
        var customKinds = CustomKinds(defaults, appId);
        var vars = MessageKinds.NormalizeVars(Action, Vars, customKinds);
        MessageTemplate.Parse(vars);
        var whenTriggers = MessageTriggers.NormalizeTriggers(WhenTriggers, "whenTriggers");
        var unlessTriggers = UnlessTriggers is null ? null : MessageTriggers.NormalizeTriggers(UnlessTriggers, "unlessTriggers");
        var whenLimits = WhenLimits is null ? null : MessageTriggers.NormalizeLimits(WhenLimits, "whenLimits");
        int priority = Priority ?? MessageDefaults.Priority;
        if (priority is < 1 or > MessageDefaults.Priority) throw new MessageDefinitionException("priority", $"must be 1 (highest) to {MessageDefaults.Priority} (the default), not {priority}.");
        if (StartTime is { } start && EndTime is { } end && end <= start) throw new MessageDefinitionException("endTime", "must be after startTime.");
        string? segmentId = string.IsNullOrWhiteSpace(Audience?.SegmentId) ? null : Audience.SegmentId.Trim();
        if (segmentId is not null && !await segments.ExistsAsync(appId, segmentId, cancellationToken).ConfigureAwait(false))
            throw new MessageDefinitionException("audience.segmentId", $"the app has no segment '{segmentId}'.");

        long id = existing?.Id ?? store.NextId(appId);
        var variants = ToVariants(appId, vars, customKinds, existing, store);
        CheckChains(appId, id, vars, "vars", store);
        for (int i = 0; i < variants.Count; i++) CheckChains(appId, id, variants[i].Vars, $"variants[{i}].vars", store);
        return new InAppMessage
        {
            Id = id,
            AppId = appId,
            Name = name,
            Action = Action!,
            Vars = vars,
            WhenTriggers = whenTriggers,
            UnlessTriggers = unlessTriggers,
            WhenLimits = whenLimits,
            Priority = priority,
            StartTime = StartTime,
            EndTime = EndTime,
            SegmentId = segmentId,
            Status = Status ?? existing?.Status ?? MessageStatus.Active,
            Variants = variants,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
    }

    private List<MessageVariant> ToVariants(string appId, JsonObject vars, HashSet<string> customKinds, InAppMessage? existing, IMessageStore store)
    {
        var given = Variants ?? [];
        if (given.Count == 0) return [];
        if (given.Count is < 2 or > MessageDefaults.MaxVariants)
            throw new MessageDefinitionException("variants", $"an A/B test needs 2 to {MessageDefaults.MaxVariants} variants (a control and up to {MessageDefaults.MaxVariants - 1} others); send none for no test.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var kept = new HashSet<long>();
        double total = 0;
        var variants = new List<MessageVariant>(given.Count);
        for (int i = 0; i < given.Count; i++)
        {
            string at = $"variants[{i}]";
            var variant = given[i] ?? throw new MessageDefinitionException(at, "must be an object {\"name\", \"weight\", \"vars\"}.");
            string name = variant.Name?.Trim() ?? "";
            if (name.Length is 0 or > 200) throw new MessageDefinitionException(at + ".name", "is required: 1 to 200 characters.");
            if (!names.Add(name)) throw new MessageDefinitionException(at + ".name", $"\"{name}\" is used by another variant.");
            double weight = variant.Weight ?? throw new MessageDefinitionException(at + ".weight", "is required (a percentage; the weights sum to 100).");
            if (!(weight >= 0) || weight > 100) throw new MessageDefinitionException(at + ".weight", "must be 0 to 100.");
            total += weight;
            var overrides = variant.Vars switch
            {
                null => new JsonObject(),
                JsonObject obj => (JsonObject)obj.DeepClone(),
                _ => throw new MessageDefinitionException(at + ".vars", "must be an object of fields that override the message's vars."),
            };
            if (overrides["__name__"] is { } kind && (kind.GetValueKind() != JsonValueKind.String || kind.GetValue<string>() != Action))
                throw new MessageDefinitionException(at + ".vars.__name__", "a variant keeps the message's kind; leave __name__ out.");
            MessageTemplate.Parse(overrides, at + ".vars");

            long id;
            if (variant.Id is { } givenId)
            {
                if (existing?.Variants.Any(v => v.Id == givenId) != true)
                    throw new MessageDefinitionException(at + ".id", $"{givenId} is not a variant of this message; leave id out for a new variant.");
                if (!kept.Add(givenId)) throw new MessageDefinitionException(at + ".id", $"{givenId} is given twice.");
                id = givenId;
            }
            else
            {
                id = store.NextId(appId);
            }

            var built = new MessageVariant(id, name, weight, overrides);
            MessageKinds.NormalizeVars(Action, built.MergedOver(vars), customKinds, "action", at + ".vars");
            variants.Add(built);
        }

        if (Math.Abs(total - 100) > 1e-9) throw new MessageDefinitionException("variants", $"the weights must sum to 100, not {total.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        return variants;
    }

    /// <summary>A chain action must name another message of the app (by its id), or the SDK fails when it runs.</summary>
    private static void CheckChains(string appId, long selfId, JsonObject vars, string field, IMessageStore store)
    {
        foreach (var (path, action) in MessageKinds.ChainActions(vars, field))
        {
            string at = $"{path}.{MessageKinds.ChainedMessageField}";
            var target = action[MessageKinds.ChainedMessageField];
            string? text = target is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
                : null;
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long targetId))
                throw new MessageDefinitionException(at, "must be the numeric id of another message of the app.");
            if (targetId == selfId) throw new MessageDefinitionException(at, "a message cannot chain to itself.");
            if (store.Find(appId, targetId) is null) throw new MessageDefinitionException(at, $"the app has no message {targetId}.");
        }
    }

    /// <summary>Templates the app declared in code (<c>defineAction</c>, uploaded with <c>setVars</c> in development mode).</summary>
    private static HashSet<string> CustomKinds(IVariableDefaultsStore defaults, string appId)
    {
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        if (defaults.Find(appId)?.ActionDefinitionsJson is not { } json) return kinds;
        try
        {
            if (JsonNode.Parse(json) is JsonObject definitions) kinds.UnionWith(definitions.Select(d => d.Key));
        }
        catch (JsonException)
        {
            // An unreadable upload declares nothing; the built-in kinds still work.
        }

        return kinds;
    }
}

/// <param name="SegmentId">A saved segment of the app; null targets everyone.</param>
public sealed record MessageAudienceRequest(string? SegmentId);

/// <param name="Id">Sent back on update to keep a variant (and its stats); left out for a new one.</param>
/// <param name="Weight">A percentage; the variants' weights sum to 100.</param>
/// <param name="Vars">Fields that override the message's vars for this variant.</param>
public sealed record MessageVariantRequest(long? Id, string? Name, double? Weight, JsonNode? Vars);
