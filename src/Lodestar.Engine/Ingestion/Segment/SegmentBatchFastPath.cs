using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion.Segment;

/// <summary>
/// The common case of a <c>/v1/batch</c> body read in one forward pass of <see cref="Utf8JsonReader"/> over the
/// request's UTF-8 bytes: no document, no repeated property look-ups, properties and context cut straight from the
/// body. It only ever answers for bodies every message of which is well-formed and of a plain shape (track, page,
/// screen, identify with traits; string ids; UTC ISO-8601 times; no batch-level context); for anything else it
/// answers null and the caller runs <see cref="SegmentMessageParser"/> on a <see cref="JsonDocument"/>, which stays
/// the one place every rejection and its message come from. What it returns is what that parser would.
/// </summary>
public static class SegmentBatchFastPath
{
    // Contexts repeat per device: recent ones of up to 4 KB are kept decoded, 64 MB of them at most.
    private static readonly RepeatedTextCache Contexts = new(64L << 20, 4096);

    // Event names are few per app.
    private static readonly RepeatedTextCache Names = new(4L << 20, 1024);

    /// <summary>The batch's messages as events, or null when the body needs the full parser.</summary>
    public static List<IncomingEvent>? TryRead(ReadOnlySpan<byte> body, EventValidator validator, DateTimeOffset receivedAt, out string? writeKey)
    {
        writeKey = null;
        try
        {
            return Read(body, validator, receivedAt, ref writeKey);
        }
        catch (Exception exception) when (FastPath.GivesUp(exception))
        {
            return null;
        }
    }

    private static List<IncomingEvent>? Read(ReadOnlySpan<byte> body, EventValidator validator, DateTimeOffset receivedAt, ref string? writeKey)
    {
        // The messages' fields wait for the batch's sentAt (which may follow the array) in a pooled array: a list sized
        // from the body was ~340 bytes of garbage per event (the structs are ~190 bytes each), near half of the reader's.
        var messages = new FieldsBuffer(Math.Clamp(body.Length / 256, 4, 1024));
        try
        {
            return Read(body, validator, receivedAt, ref writeKey, ref messages);
        }
        finally
        {
            messages.Return();
        }
    }

    private static List<IncomingEvent>? Read(ReadOnlySpan<byte> body, EventValidator validator, DateTimeOffset receivedAt, ref string? writeKey, ref FieldsBuffer messages)
    {
        // Invalid UTF-8 is the full parser's to refuse; checked once here, slices of the body decode without checks.
        if (!System.Text.Unicode.Utf8.IsValid(body)) return null;
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        DateTimeOffset? sentAt = null;
        bool seenBatch = false, seenWriteKey = false, seenSentAt = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("batch"u8))
            {
                if (seenBatch || !reader.Read() || reader.TokenType != JsonTokenType.StartArray) return null;
                seenBatch = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject || ReadMessage(ref reader, body, validator.Options) is not { } fields) return null;
                    messages.Add(fields);
                }
            }
            else if (reader.ValueTextEquals("sentAt"u8))
            {
                if (seenSentAt) return null;
                seenSentAt = true;
                reader.Read();
                if (!TryTime(ref reader, out sentAt)) return null;
            }
            else if (reader.ValueTextEquals("writeKey"u8))
            {
                if (seenWriteKey) return null;
                seenWriteKey = true;
                reader.Read();
                writeKey = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("context"u8))
            {
                // A batch-level context (shared by messages without their own) is left to the full parser.
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) return null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // The root must close and nothing but whitespace may follow it (the reader throws on trailing content).
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || !seenBatch) return null;

        var events = new List<IncomingEvent>(messages.Count);
        foreach (ref readonly var fields in messages.Items)
        {
            if (ToEvent(fields, body, validator, receivedAt, sentAt) is not { } e) return null;
            events.Add(e);
        }

        return events;
    }

    /// <summary>Reads one message object (the reader is on its start); null when it needs the full parser.</summary>
    private static Fields? ReadMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, IngestionOptions options)
    {
        var f = new Fields { Start = (int)reader.TokenStartIndex };
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int field = FieldOf(ref reader);
            if (field >= 0)
            {
                if ((seen & (1 << field)) != 0) return null; // a repeated field: the document's last-wins rule is the full parser's
                seen |= 1 << field;
            }

            reader.Read();
            bool ok = field switch
            {
                FieldType => TryType(ref reader, out f.Type),
                FieldMessageId => TryString(ref reader, out f.MessageId),
                FieldUserId => TryString(ref reader, out f.UserId),
                FieldAnonymousId => TryString(ref reader, out f.AnonymousId),
                FieldEvent => TryName(ref reader, out f.Event),
                FieldName => TryName(ref reader, out f.Name),
                FieldProperties => TryObject(ref reader, options, out f.Properties),
                FieldTraits => TryObject(ref reader, options, out f.Traits),
                FieldContext => TrySlice(ref reader, out f.Context),
                FieldTimestamp => TryTime(ref reader, out f.Timestamp),
                FieldOriginalTimestamp => TryTime(ref reader, out f.OriginalTimestamp),
                FieldSentAt => TryTime(ref reader, out f.SentAt),
                _ => Skip(ref reader),
            };
            if (!ok) return null;
        }

        if (reader.TokenType != JsonTokenType.EndObject) return null;
        f.Length = (int)reader.BytesConsumed - f.Start;
        if (f.Length > options.MaxMessageBytes || JsonText.HasLoneSurrogateEscape(body.Slice(f.Start, f.Length))) return null;
        return f;
    }

    private static IncomingEvent? ToEvent(in Fields f, ReadOnlySpan<byte> body, EventValidator validator, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt)
    {
        string name;
        PropertiesSlice properties;
        switch (f.Type)
        {
            case EventTypes.Track when f.Event is { Length: > 0 } eventName:
                name = eventName;
                properties = f.Properties;
                break;
            case EventTypes.Page or EventTypes.Screen:
                name = f.Name is { Length: > 0 } pageName ? pageName : EventTypes.DefaultName(f.Type);
                properties = f.Properties;
                break;
            case EventTypes.Identify when f.Traits.Length > 0:
                name = EventTypes.DefaultName(f.Type);
                properties = f.Traits;
                break;
            default:
                return null; // alias, group, identify without traits, a missing event name, an unknown type
        }

        var timestamp = f.Timestamp ?? f.OriginalTimestamp;
        var sentAt = f.SentAt ?? batchSentAt;
        var e = new IncomingEvent
        {
            Type = f.Type,
            Name = name,
            UserId = NullIfEmpty(f.UserId),
            AnonymousId = NullIfEmpty(f.AnonymousId),
            MessageId = NullIfEmpty(f.MessageId),
            Timestamp = timestamp is null ? receivedAt : sentAt is null ? timestamp.Value : receivedAt - (sentAt.Value - timestamp.Value),
            Value = properties.Value,
            PropertiesJson = properties.Length > 0 ? Encoding.UTF8.GetString(body.Slice(properties.Start, properties.Length)) : null,
            ContextJson = f.Context.Length > 0 ? Contexts.Get(body.Slice(f.Context.Start, f.Context.Length)) : null,
            Source = "segment",
            Internal = f.Type is EventTypes.Identify,
        };
        return validator.Validate(e) is null ? e : null;
    }

    private static string? NullIfEmpty(string? id) => string.IsNullOrEmpty(id) ? null : id;

    private static bool Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return true;
    }

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return reader.TokenType is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TryType(ref Utf8JsonReader reader, out string? type)
    {
        type = reader.TokenType != JsonTokenType.String ? null :
            reader.ValueTextEquals("track"u8) ? EventTypes.Track :
            reader.ValueTextEquals("page"u8) ? EventTypes.Page :
            reader.ValueTextEquals("screen"u8) ? EventTypes.Screen :
            reader.ValueTextEquals("identify"u8) ? EventTypes.Identify :
            reader.GetString();
        return reader.TokenType is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TryName(ref Utf8JsonReader reader, out string? name)
    {
        name = reader.TokenType != JsonTokenType.String ? null : reader.ValueIsEscaped ? reader.GetString() : Names.Get(reader.ValueSpan);
        return reader.TokenType is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TrySlice(ref Utf8JsonReader reader, out Slice slice)
    {
        slice = default;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        slice = new Slice(start, (int)reader.BytesConsumed - start);
        return true;
    }

    /// <summary>A UTC ISO-8601 string (what every library sends), or null; anything else is the full parser's.</summary>
    private static bool TryTime(ref Utf8JsonReader reader, out DateTimeOffset? time)
    {
        time = null;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan is not [.., (byte)'Z'] ||
            !reader.TryGetDateTimeOffset(out var parsed))
        {
            return false;
        }

        time = parsed.ToUniversalTime();
        return true;
    }

    /// <summary>
    /// A properties or traits object: its slice, the checks <see cref="EventValidator.ValidateProperties"/> makes
    /// (any doubt goes to the full parser), and its <c>value</c> (or <c>revenue</c>) as the parser reads it.
    /// </summary>
    private static bool TryObject(ref Utf8JsonReader reader, IngestionOptions options, out PropertiesSlice slice)
    {
        slice = default;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        int start = (int)reader.TokenStartIndex, count = 0;
        double? value = null, revenue = null;
        bool seenValue = false, seenRevenue = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int rawLength = reader.ValueSpan.Length;
            if (++count > options.MaxProperties || rawLength == 0 || rawLength > options.MaxNameLength) return false;
            bool isValue = reader.ValueTextEquals("value"u8), isRevenue = !isValue && reader.ValueTextEquals("revenue"u8);
            reader.Read();
            if (isValue || isRevenue)
            {
                if (isValue ? seenValue : seenRevenue) return false;
                if (!TryNumber(ref reader, out double? number)) return false;
                if (isValue) (seenValue, value) = (true, number);
                else (seenRevenue, revenue) = (true, number);
            }

            reader.Skip();
        }

        if (reader.TokenType != JsonTokenType.EndObject) return false;
        slice = new PropertiesSlice(start, (int)reader.BytesConsumed - start, value ?? revenue);
        return true;
    }

    /// <summary>A number, or a string holding one; null for other values (which the parser passes over).</summary>
    private static bool TryNumber(ref Utf8JsonReader reader, out double? number)
    {
        number = null;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out double parsed)) return false;
            number = parsed;
        }
        else if (reader.TokenType == JsonTokenType.String &&
                 double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
        {
            number = parsed;
        }

        return true;
    }

    private const int FieldType = 0;
    private const int FieldMessageId = 1;
    private const int FieldUserId = 2;
    private const int FieldAnonymousId = 3;
    private const int FieldEvent = 4;
    private const int FieldName = 5;
    private const int FieldProperties = 6;
    private const int FieldTraits = 7;
    private const int FieldContext = 8;
    private const int FieldTimestamp = 9;
    private const int FieldOriginalTimestamp = 10;
    private const int FieldSentAt = 11;

    private static int FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("type"u8)) return FieldType;
        if (reader.ValueTextEquals("messageId"u8)) return FieldMessageId;
        if (reader.ValueTextEquals("userId"u8)) return FieldUserId;
        if (reader.ValueTextEquals("anonymousId"u8)) return FieldAnonymousId;
        if (reader.ValueTextEquals("event"u8)) return FieldEvent;
        if (reader.ValueTextEquals("name"u8)) return FieldName;
        if (reader.ValueTextEquals("properties"u8)) return FieldProperties;
        if (reader.ValueTextEquals("traits"u8)) return FieldTraits;
        if (reader.ValueTextEquals("context"u8)) return FieldContext;
        if (reader.ValueTextEquals("timestamp"u8)) return FieldTimestamp;
        if (reader.ValueTextEquals("originalTimestamp"u8)) return FieldOriginalTimestamp;
        if (reader.ValueTextEquals("sentAt"u8)) return FieldSentAt;
        return -1;
    }

    private readonly record struct Slice(int Start, int Length);

    private readonly record struct PropertiesSlice(int Start, int Length, double? Value);

    /// <summary>A growable run of <see cref="Fields"/> in an array from the shared pool; cleared when given back (the fields hold strings).</summary>
    private struct FieldsBuffer(int capacity)
    {
        private Fields[] _items = ArrayPool<Fields>.Shared.Rent(capacity);

        public int Count { get; private set; }

        public readonly ReadOnlySpan<Fields> Items => _items.AsSpan(0, Count);

        public void Add(in Fields fields)
        {
            if (Count == _items.Length)
            {
                var larger = ArrayPool<Fields>.Shared.Rent(_items.Length * 2);
                _items.AsSpan(0, Count).CopyTo(larger);
                Return();
                _items = larger;
            }

            _items[Count++] = fields;
        }

        public readonly void Return()
        {
            _items.AsSpan(0, Count).Clear();
            ArrayPool<Fields>.Shared.Return(_items);
        }
    }

    private struct Fields
    {
        public int Start;
        public int Length;
        public string? Type;
        public string? MessageId;
        public string? UserId;
        public string? AnonymousId;
        public string? Event;
        public string? Name;
        public PropertiesSlice Properties;
        public PropertiesSlice Traits;
        public Slice Context;
        public DateTimeOffset? Timestamp;
        public DateTimeOffset? OriginalTimestamp;
        public DateTimeOffset? SentAt;
    }
}
