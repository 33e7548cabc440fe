using System.Globalization;
using System.Text.Json;
using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion.Segment;

/// <summary>
/// Turns one Segment-spec message (track, identify, page, screen, group, alias) into an
/// <see cref="IncomingEvent"/>, correcting the client's clock with <c>sentAt</c> as Segment does:
/// <c>timestamp = receivedAt − (sentAt − timestamp)</c>.
/// </summary>
public sealed class SegmentMessageParser(EventValidator validator)
{
    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        EventTypes.Track, EventTypes.Identify, EventTypes.Page, EventTypes.Screen, EventTypes.Group, EventTypes.Alias,
    };

    /// <summary>Parses a message. <paramref name="type"/> comes from the endpoint, or null to read the message's own <c>type</c> (batch).</summary>
    public ParsedMessage Parse(JsonElement message, string? type, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt, string path = "")
    {
        if (message.ValueKind != JsonValueKind.Object) return ParsedMessage.Fail($"{Root(path)} must be a JSON object.", null);
        if (JsonText.HasLoneSurrogateEscape(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(message)))
            return ParsedMessage.Fail($"{Root(path)} contains a \\uD800–\\uDFFF escape that is not a valid surrogate pair; send the text as UTF-8 or as a full pair.", null);
        string? messageId = null;
        try
        {
            messageId = Id(message, "messageId", path);
            type ??= String(message, "type", path) ?? throw new SegmentFormatException($"{path}type is required (one of track, identify, page, screen, group, alias).");
            if (!Types.Contains(type)) throw new SegmentFormatException($"{path}type '{type}' is not one of track, identify, page, screen, group, alias.");

            string? userId = Id(message, "userId", path);
            string? anonymousId = Id(message, "anonymousId", path);
            string? previousId = null;
            string name;
            JsonElement properties = default;
            string? propertiesPath = null;
            ProfileChanges? changes = null;

            switch (type)
            {
                case EventTypes.Track:
                    name = String(message, "event", path) ?? throw new SegmentFormatException($"{path}event is required for track.");
                    if (name.Length == 0) throw new SegmentFormatException($"{path}event must not be empty.");
                    (properties, propertiesPath) = (Object(message, "properties", path), "properties");
                    break;
                case EventTypes.Identify:
                    name = EventTypes.DefaultName(type);
                    (properties, propertiesPath) = (TraitsOf(message, path), "traits");
                    break;
                case EventTypes.Page or EventTypes.Screen:
                    name = String(message, "name", path) is { Length: > 0 } pageName ? pageName : EventTypes.DefaultName(type);
                    (properties, propertiesPath) = (Object(message, "properties", path), "properties");
                    break;
                case EventTypes.Group:
                    string groupId = Id(message, "groupId", path) ?? throw new SegmentFormatException($"{path}groupId is required for group.");
                    name = EventTypes.DefaultName(type);
                    (properties, propertiesPath) = (Object(message, "traits", path), "traits");
                    changes = new ProfileChanges { AddJson = JsonSerializer.Serialize(new Dictionary<string, string> { ["groups"] = groupId }) };
                    break;
                default:
                    name = EventTypes.DefaultName(type);
                    previousId = Id(message, "previousId", path) ?? throw new SegmentFormatException($"{path}previousId is required for alias.");
                    if (userId is null) throw new SegmentFormatException($"{path}userId is required for alias.");
                    break;
            }

            if (properties.ValueKind == JsonValueKind.Object && validator.ValidateProperties(properties, path + propertiesPath) is { } propertyError)
                throw new SegmentFormatException(propertyError);

            var context = Object(message, "context", path);
            var e = new IncomingEvent
            {
                Type = type,
                Name = name,
                UserId = userId,
                AnonymousId = anonymousId,
                PreviousId = previousId,
                MessageId = messageId,
                Timestamp = EventTime(message, receivedAt, batchSentAt, path),
                Value = ValueOf(properties),
                PropertiesJson = properties.ValueKind == JsonValueKind.Object ? properties.GetRawText() : null,
                ContextJson = context.ValueKind == JsonValueKind.Object ? context.GetRawText() : null,
                ProfileChanges = changes,
                Source = "segment",
                Internal = type is EventTypes.Identify or EventTypes.Alias or EventTypes.Group,
            };

            return validator.Validate(e, path) is { } error ? ParsedMessage.Fail(error, messageId) : new ParsedMessage(e, null, messageId);
        }
        catch (SegmentFormatException ex)
        {
            return ParsedMessage.Fail(ex.Message, messageId);
        }
    }

    /// <summary>Reads an ISO-8601 timestamp field; null when absent.</summary>
    public static DateTimeOffset? Timestamp(JsonElement message, string field, string path)
    {
        if (!message.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        // The ISO-8601 fast path first (what every library sends), then the lenient parser.
        // Only for UTC ("…Z") strings: without an offset the fast path would assume the server's local zone.
        if (value.ValueKind == JsonValueKind.String && System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value) is [.., (byte)'Z', (byte)'"'] &&
            value.TryGetDateTimeOffset(out var iso))
        {
            return iso.ToUniversalTime();
        }

        if (value.ValueKind == JsonValueKind.String &&
            DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return parsed;
        }

        throw new SegmentFormatException($"{path}{field} must be an ISO-8601 date-time string (e.g. 2024-05-01T12:00:00.000Z).");
    }

    private static DateTimeOffset EventTime(JsonElement message, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt, string path)
    {
        var timestamp = Timestamp(message, "timestamp", path) ?? Timestamp(message, "originalTimestamp", path);
        var sentAt = Timestamp(message, "sentAt", path) ?? batchSentAt;
        if (timestamp is null) return receivedAt;
        return sentAt is null ? timestamp.Value : receivedAt - (sentAt.Value - timestamp.Value);
    }

    private static double? ValueOf(JsonElement properties)
    {
        if (properties.ValueKind != JsonValueKind.Object) return null;
        foreach (string field in (ReadOnlySpan<string>)["value", "revenue"])
        {
            if (properties.TryGetProperty(field, out var value))
            {
                if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
                if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)) return parsed;
            }
        }

        return null;
    }

    private static JsonElement TraitsOf(JsonElement message, string path)
    {
        var traits = Object(message, "traits", path);
        if (traits.ValueKind == JsonValueKind.Object) return traits;
        // analytics.js puts traits in context.traits for identify calls made with only an id.
        var context = Object(message, "context", path);
        return context.ValueKind == JsonValueKind.Object ? Object(context, "traits", path + "context.") : default;
    }

    private static JsonElement Object(JsonElement message, string field, string path)
    {
        if (!message.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return default;
        return value.ValueKind == JsonValueKind.Object ? value : throw new SegmentFormatException($"{path}{field} must be a JSON object.");
    }

    private static string? String(JsonElement message, string field, string path)
    {
        if (!message.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new SegmentFormatException($"{path}{field} must be a string.");
    }

    /// <summary>Ids may be strings or numbers (some libraries send numeric user ids); empty means absent.</summary>
    private static string? Id(JsonElement message, string field, string path)
    {
        if (!message.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        string? id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new SegmentFormatException($"{path}{field} must be a string or a number."),
        };
        return string.IsNullOrEmpty(id) ? null : id;
    }

    private static string Root(string path) => path.Length == 0 ? "The message" : path.TrimEnd('.');
}

/// <summary>A parsed message, or why it was rejected.</summary>
public readonly record struct ParsedMessage(IncomingEvent? Event, string? Error, string? MessageId)
{
    public static ParsedMessage Fail(string error, string? messageId) => new(null, error, messageId);
}

/// <summary>A field of a Segment message has the wrong shape; the message says which and how.</summary>
public sealed class SegmentFormatException(string message) : Exception(message);
