using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>
/// The common case of a Leanplum <c>multi</c> call read in one forward pass over the request's UTF-8: the outer
/// parameters from the query and a url-encoded form (the native SDKs) or a JSON body (the JS SDK), <c>data</c>
/// percent-decoded once into bytes and read with <see cref="Utf8JsonReader"/>, each item's <c>params</c> flattened
/// straight to the properties text — no decoded form string, no <see cref="JsonDocument"/>, no per-item dictionary.
/// It only answers for calls every item of which is a plain <c>track</c> (string ids and names, <c>params</c> as
/// JSON text of scalars without escapes, no other fields); for anything else it answers null and the caller
/// runs <see cref="LeanplumArgs"/> and <see cref="LeanplumEventMapper.Map"/>, which stay the one place every
/// rejection and its message come from. What it returns maps to the events that path would make.
/// </summary>
public static class LeanplumMultiFastPath
{
    // Event names are few per app.
    private static readonly RepeatedTextCache Names = new(4L << 20, 1024);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_properties;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The call's plain items, or null when it needs the full reader.</summary>
    /// <param name="query">The query string's parameters (each with one value).</param>
    /// <param name="body">The request body as received (JSON or url-encoded form; not multipart).</param>
    public static LeanplumPlainMulti? TryRead(IReadOnlyList<KeyValuePair<string, string>> query, ReadOnlySpan<byte> body)
    {
        byte[]? rented = null;
        try
        {
            return Read(query, body, ref rented);
        }
        catch (Exception exception) when (FastPath.GivesUp(exception))
        {
            return null;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static LeanplumPlainMulti? Read(IReadOnlyList<KeyValuePair<string, string>> query, ReadOnlySpan<byte> body, ref byte[]? rented)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body)) return null;
        var outer = new Outer();
        foreach (var (name, value) in query)
        {
            if (!outer.SetText(name, value)) return null;
        }

        ReadOnlySpan<byte> data = default;
        bool hasData = false;
        if (body.StartsWith(Encoding.UTF8.Preamble)) body = body[Encoding.UTF8.Preamble.Length..];
        body = body.TrimStart(" \t\r\n"u8);
        if (!body.IsEmpty && body[0] is (byte)'{' or (byte)'[')
        {
            if (body[0] == (byte)'[')
            {
                data = body;
                hasData = true;
            }
            else if (!ReadJsonBody(body, outer, out data, out hasData))
            {
                return null;
            }
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent(body.Length);
            if (!ReadForm(body, outer, rented, out data, out hasData)) return null;
        }

        if (!hasData && outer.Data is { } dataText)
        {
            data = Encoding.UTF8.GetBytes(dataText);
            hasData = true;
        }

        if (!hasData || outer.Action != LeanplumActions.Multi || outer.AppId is not { Length: > 0 } appId || outer.ClientKey is not { Length: > 0 } clientKey) return null;
        if (!TryNumber(outer.Time, out double? batchTime) || !TryBool(outer.DevMode, out bool? outerDevMode)) return null;
        return ReadItems(data, appId, clientKey, batchTime, outer, outerDevMode);
    }

    /// <summary>A JSON object body: each property a parameter; <c>data</c> an array, the others strings.</summary>
    private static bool ReadJsonBody(ReadOnlySpan<byte> body, Outer outer, out ReadOnlySpan<byte> data, out bool hasData)
    {
        data = default;
        hasData = false;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped) return false;
            string name = reader.GetString()!;
            if (!seen.Add(name)) return false;
            reader.Read();
            if (name == LeanplumParams.Data && reader.TokenType == JsonTokenType.StartArray)
            {
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                data = body[start..(int)reader.BytesConsumed];
                hasData = true;
                outer.Data = null;
                continue;
            }

            if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || name == LeanplumParams.Data) return false;
            if (!outer.SetText(name, reader.GetString()!)) return false;
        }

        return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
    }

    /// <summary>A url-encoded form body; <c>data</c> percent-decoded into <paramref name="buffer"/>.</summary>
    private static bool ReadForm(ReadOnlySpan<byte> body, Outer outer, byte[] buffer, out ReadOnlySpan<byte> data, out bool hasData)
    {
        data = default;
        hasData = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int used = 0;
        while (!body.IsEmpty)
        {
            int end = body.IndexOf((byte)'&');
            var pair = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 1)..];
            if (pair.IsEmpty) continue;
            int equals = pair.IndexOf((byte)'=');
            if (equals <= 0) return false;
            var key = pair[..equals];
            if (key.IndexOfAny("%+"u8) >= 0) return false;
            string name = Encoding.ASCII.GetString(key);
            if (!seen.Add(name)) return false;
            var target = buffer.AsSpan(used);
            if (!PercentDecode(pair[(equals + 1)..], target, out int written)) return false;
            var value = target[..written];
            if (!System.Text.Unicode.Utf8.IsValid(value)) return false;
            if (name == LeanplumParams.Data)
            {
                data = value;
                hasData = true;
                outer.Data = null;
                used += written;
                continue;
            }

            if (!outer.SetText(name, Encoding.UTF8.GetString(value))) return false;
        }

        return true;
    }

    /// <summary>Form decoding as the full reader does it ('+' is a space, %XX a byte); false on a malformed escape.</summary>
    /// <remarks>
    /// One pass, byte by byte: the native SDKs' data field escapes every brace, quote, colon and comma, so runs between
    /// escapes are a few bytes long, and searching for the next escape, then copying the run, cost more than the bytes
    /// (7.7 % of the native path's samples, measured).
    /// </remarks>
    private static bool PercentDecode(ReadOnlySpan<byte> encoded, Span<byte> output, out int written)
    {
        written = 0;
        var hex = HexValues;
        for (int i = 0; i < encoded.Length; i++)
        {
            byte b = encoded[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= encoded.Length) return false;
                int high = hex[encoded[i + 1]], low = hex[encoded[i + 2]];
                if ((high | low) < 0) return false;
                output[written++] = (byte)((high << 4) | low);
                i += 2;
            }
            else
            {
                output[written++] = b == (byte)'+' ? (byte)' ' : b;
            }
        }

        return true;
    }

    // A byte's value as a hex digit, or -1.
    private static ReadOnlySpan<sbyte> HexValues =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];

    private static LeanplumPlainMulti? ReadItems(ReadOnlySpan<byte> data, string appId, string clientKey, double? batchTime, Outer outer, bool? outerDevMode)
    {
        var reader = new Utf8JsonReader(data);
        reader.Read();
        bool wrapped = false;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // {"data":[…]}, the native SDKs' form field: nothing else beside the list.
            reader.Read();
            if (reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals(LeanplumParams.Data) || reader.ValueIsEscaped) return null;
            reader.Read();
            wrapped = true;
        }

        if (reader.TokenType != JsonTokenType.StartArray) return null;
        var items = new List<LeanplumPlainTrack>();
        var previous = new Previous();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || ReadItem(ref reader, outer, outerDevMode, ref previous) is not { } item) return null;
            items.Add(item);
        }

        if (wrapped && (!reader.Read() || reader.TokenType != JsonTokenType.EndObject)) return null;
        if (reader.Read()) return null;
        return items.Count == 0 ? null : new LeanplumPlainMulti(appId, clientKey, batchTime, items);
    }

    private const int FieldAction = 0, FieldEvent = 1, FieldValue = 2, FieldParams = 3, FieldAppId = 4, FieldClientKey = 5, FieldClient = 6,
        FieldSdkVersion = 7, FieldDeviceId = 8, FieldUserId = 9, FieldVersionName = 10, FieldDevMode = 11, FieldTime = 12, FieldRequestId = 13,
        FieldBatchId = 14;

    private static int FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped) return -1;
        var name = reader.ValueSpan;
        return name switch
        {
            _ when name.SequenceEqual("action"u8) => FieldAction,
            _ when name.SequenceEqual("event"u8) => FieldEvent,
            _ when name.SequenceEqual("value"u8) => FieldValue,
            _ when name.SequenceEqual("params"u8) => FieldParams,
            _ when name.SequenceEqual("appId"u8) => FieldAppId,
            _ when name.SequenceEqual("clientKey"u8) => FieldClientKey,
            _ when name.SequenceEqual("client"u8) => FieldClient,
            _ when name.SequenceEqual("sdkVersion"u8) => FieldSdkVersion,
            _ when name.SequenceEqual("deviceId"u8) => FieldDeviceId,
            _ when name.SequenceEqual("userId"u8) => FieldUserId,
            _ when name.SequenceEqual("versionName"u8) => FieldVersionName,
            _ when name.SequenceEqual("devMode"u8) => FieldDevMode,
            _ when name.SequenceEqual("time"u8) => FieldTime,
            _ when name.SequenceEqual("reqId"u8) => FieldRequestId,
            _ when name.SequenceEqual("uuid"u8) => FieldBatchId,
            _ => -1,
        };
    }

    /// <summary>One item (the reader is on its start); null when it is not a plain track.</summary>
    private static LeanplumPlainTrack? ReadItem(ref Utf8JsonReader reader, Outer outer, bool? outerDevMode, ref Previous previous)
    {
        int seen = 0;
        bool isTrack = false;
        string? eventName = null, properties = null, deviceId = null, userId = null, requestId = null, batchId = null, client = null, sdkVersion = null, versionName = null;
        double? value = null, time = null;
        bool? devMode = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int field = FieldOf(ref reader);
            // An unknown field may change the event (info, messageId, currencyCode, device fields…): the full reader's.
            if (field < 0 || (seen & (1 << field)) != 0) return null;
            seen |= 1 << field;
            reader.Read();
            var token = reader.TokenType;
            bool ok = field switch
            {
                FieldAction => token == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueTextEquals("track"u8) && (isTrack = true),
                FieldEvent => TryName(ref reader, out eventName),
                FieldValue => TryNumber(ref reader, out value),
                FieldParams => TryParams(ref reader, out properties),
                FieldAppId or FieldClientKey => token == JsonTokenType.String,
                FieldClient => TryId(ref reader, previous.Client, out client),
                FieldSdkVersion => TryId(ref reader, previous.SdkVersion, out sdkVersion),
                FieldDeviceId => TryId(ref reader, previous.DeviceId, out deviceId) && deviceId!.Length > 0,
                FieldUserId => TryId(ref reader, previous.UserId, out userId) && userId!.Length > 0,
                FieldVersionName => TryId(ref reader, previous.VersionName, out versionName),
                FieldDevMode => TryBool(ref reader, out devMode),
                FieldTime => TryNumber(ref reader, out time),
                FieldRequestId => TryId(ref reader, null, out requestId),
                FieldBatchId => TryId(ref reader, previous.BatchId, out batchId),
                _ => false,
            };
            if (!ok) return null;
        }

        if (reader.TokenType != JsonTokenType.EndObject || !isTrack || eventName is null) return null;

        // What an item does not say it takes from the call (LeanplumArgs' inherited parameters).
        if ((seen & (1 << FieldClient)) == 0) client = outer.Client;
        if ((seen & (1 << FieldSdkVersion)) == 0) sdkVersion = outer.SdkVersion;
        if ((seen & (1 << FieldVersionName)) == 0) versionName = outer.VersionName;
        if ((seen & (1 << FieldDevMode)) == 0) devMode = outerDevMode;
        if ((seen & (1 << FieldDeviceId)) == 0)
        {
            if (outer.DeviceId is { Length: 0 }) return null;
            deviceId = outer.DeviceId;
        }

        if ((seen & (1 << FieldUserId)) == 0)
        {
            if (outer.UserId is { Length: 0 }) return null;
            userId = outer.UserId;
        }

        if ((seen & (1 << FieldTime)) == 0 && !TryNumber(outer.Time, out time)) return null;
        if (deviceId is null && userId is null) return null;
        previous = new Previous(client, sdkVersion, deviceId, userId, versionName, batchId);
        return new LeanplumPlainTrack
        {
            Event = eventName,
            PropertiesJson = properties,
            Value = value,
            DeviceId = deviceId,
            UserId = userId,
            Time = time,
            RequestId = requestId,
            BatchId = batchId,
            DevMode = devMode,
            Client = client,
            VersionName = versionName,
            SdkVersion = sdkVersion,
        };
    }

    private static bool TryName(ref Utf8JsonReader reader, out string? name)
    {
        name = null;
        if (reader.TokenType != JsonTokenType.String) return false;
        name = reader.ValueIsEscaped ? reader.GetString() : Names.Get(reader.ValueSpan);
        return name is { Length: > 0 };
    }

    /// <summary>A string id; the previous item's instance when it is the same text (one device per queue).</summary>
    private static bool TryId(ref Utf8JsonReader reader, string? previous, out string? id)
    {
        id = null;
        if (reader.TokenType != JsonTokenType.String) return false;
        if (!reader.ValueIsEscaped && previous is not null && previous.Length == reader.ValueSpan.Length && Ascii.Equals(reader.ValueSpan, previous))
        {
            id = previous;
            return true;
        }

        id = reader.GetString();
        return true;
    }

    /// <summary>A number or decimal/scientific text, as <see cref="LeanplumArgs.Number"/> reads it.</summary>
    private static bool TryNumber(ref Utf8JsonReader reader, out double? number)
    {
        number = null;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out double parsed) || !double.IsFinite(parsed)) return false;
            number = parsed;
            return true;
        }

        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped) return false;
        if (reader.ValueSpan.IsEmpty) return true;
        if (!double.TryParse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value)) return false;
        number = value;
        return true;
    }

    private static bool TryNumber(string? text, out double? number)
    {
        number = null;
        if (string.IsNullOrEmpty(text)) return true;
        number = LeanplumArgs.ParseNumber(text);
        return number is not null;
    }

    /// <summary>true/false, or their text ("true", "false", "1", "0"), as <see cref="LeanplumArgs.Bool"/> reads them.</summary>
    private static bool TryBool(ref Utf8JsonReader reader, out bool? flag)
    {
        flag = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.True or JsonTokenType.False:
                flag = reader.GetBoolean();
                return true;
            case JsonTokenType.String when !reader.ValueIsEscaped:
                return TryBool(Encoding.UTF8.GetString(reader.ValueSpan), out flag);
            default:
                return false;
        }
    }

    private static bool TryBool(string? text, out bool? flag)
    {
        flag = null;
        if (string.IsNullOrEmpty(text)) return true;
        flag = LeanplumArgs.ParseBool(text);
        return flag is not null;
    }

    /// <summary>
    /// <c>params</c> as the JSON text of an object of at most 50 scalars with acceptable names and no escapes,
    /// flattened to the properties text the mapper writes (null for an empty object).
    /// </summary>
    private static bool TryParams(ref Utf8JsonReader reader, out string? properties)
    {
        properties = null;
        if (reader.TokenType != JsonTokenType.String) return false;
        var raw = reader.ValueSpan;
        if (raw.IndexOf("\\u"u8) >= 0) return false;
        byte[] text = ArrayPool<byte>.Shared.Rent(raw.Length);
        try
        {
            int length = reader.CopyString(text);
            var json = text.AsSpan(0, length);
            if (json.IndexOf((byte)'\\') >= 0) return false;
            var inner = new Utf8JsonReader(json);
            if (!inner.Read() || inner.TokenType != JsonTokenType.StartObject) return false;
            var buffer = t_properties ??= new ArrayBufferWriter<byte>(256);
            buffer.ResetWrittenCount();
            int count = 0;
            var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            writer.Reset(buffer);
            {
                writer.WriteStartObject();
                while (inner.Read() && inner.TokenType == JsonTokenType.PropertyName)
                {
                    if (++count > LeanplumNames.MaxParameters || !LeanplumNames.IsAcceptable("parameter", inner.ValueSpan)) return false;
                    writer.WritePropertyName(inner.ValueSpan);
                    inner.Read();
                    switch (inner.TokenType)
                    {
                        case JsonTokenType.String:
                            writer.WriteStringValue(inner.ValueSpan);
                            break;
                        case JsonTokenType.Number:
                            writer.WriteRawValue(inner.ValueSpan, skipInputValidation: true);
                            break;
                        case JsonTokenType.True or JsonTokenType.False:
                            writer.WriteBooleanValue(inner.TokenType == JsonTokenType.True);
                            break;
                        case JsonTokenType.Null:
                            writer.WriteNullValue();
                            break;
                        default:
                            return false;
                    }
                }

                if (inner.TokenType != JsonTokenType.EndObject || inner.Read()) return false;
                writer.WriteEndObject();
                writer.Flush();
            }

            properties = count == 0 ? null : Encoding.UTF8.GetString(buffer.WrittenSpan);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>The previous item's strings, handed out again when an item repeats them.</summary>
    private readonly record struct Previous(string? Client, string? SdkVersion, string? DeviceId, string? UserId, string? VersionName, string? BatchId);

    /// <summary>The call's own parameters (query, then body); only those a plain call may have.</summary>
    private sealed class Outer
    {
        public string? AppId, ClientKey, Client, SdkVersion, Action, Time, DevMode, DeviceId, UserId, VersionName, Data;

        public bool SetText(string name, string value)
        {
            switch (name)
            {
                case LeanplumParams.AppId: AppId = value; break;
                case LeanplumParams.ClientKey: ClientKey = value; break;
                case LeanplumParams.Client: Client = value; break;
                case LeanplumParams.SdkVersion: SdkVersion = value; break;
                case LeanplumParams.Action: Action = value; break;
                case LeanplumParams.Time: Time = value; break;
                case LeanplumParams.DevMode: DevMode = value; break;
                case LeanplumParams.DeviceId: DeviceId = value; break;
                case LeanplumParams.UserId: UserId = value; break;
                case LeanplumParams.VersionName: VersionName = value; break;
                case LeanplumParams.Data: Data = value; break;
                default: return false;
            }

            return true;
        }
    }
}
