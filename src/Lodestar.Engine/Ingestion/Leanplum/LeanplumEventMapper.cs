using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lodestar.Core.Events;
using Lodestar.Core.Sessions;

namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>
/// Turns one Leanplum tracking call (an item of <c>multi</c>, or a direct call) into normalised events: ids
/// (a user id equal to the device id is the JS SDK's "no user yet", so anonymous), clock-skew-corrected time
/// (<c>receivedAt − (batch time − item time)</c>), a Segment-shaped context from the device fields, and the
/// Leanplum-only fields (info, currencyCode, messageId, state…) kept in the properties under <c>$</c> names.
/// </summary>
public sealed class LeanplumEventMapper(EventValidator validator)
{
    public const string Source = "leanplum";

    // A device's context is the same text for every item of its batches: one shared string (see RepeatedTextCache).
    private static readonly RepeatedTextCache Contexts = new(64L << 20, 4096);

    /// <summary>The actions this mapper turns into events.</summary>
    public static readonly IReadOnlySet<string> TrackingActions = new HashSet<string>(StringComparer.Ordinal)
    {
        LeanplumActions.Start, LeanplumActions.Restart, LeanplumActions.Stop, LeanplumActions.Heartbeat,
        LeanplumActions.PauseSession, LeanplumActions.ResumeSession, LeanplumActions.PauseState, LeanplumActions.ResumeState,
        LeanplumActions.Track, LeanplumActions.TrackGeofence, LeanplumActions.Advance, LeanplumActions.SetUserAttributes,
        LeanplumActions.SetDeviceAttributes, LeanplumActions.SetTrafficSourceInfo, LeanplumActions.RegisterDevice,
        LeanplumActions.MarkNewsfeedMessageAsRead, LeanplumActions.DeleteNewsfeedMessage,
    };

    /// <param name="batchTime">The outer call's <c>time</c> (when the batch was sent), if any.</param>
    /// <param name="clientIp">The caller's address, kept in the context for location look-ups.</param>
    public LeanplumMappedItem Map(string action, LeanplumArgs args, DateTimeOffset receivedAt, double? batchTime, string? clientIp)
    {
        var (deviceId, userId) = Ids(args.String(LeanplumParams.DeviceId), args.String(LeanplumParams.UserId))
            ?? throw new LeanplumFormatException("Missing argument userId or deviceId.");
        string? messageId = MessageIdOf(args);
        var time = EventTime(args, receivedAt, batchTime);
        string? context = deviceId is null ? null : Context(args, deviceId, clientIp);

        IncomingEvent Event(string type, string name, bool isInternal, string? properties = null, ProfileChanges? changes = null, double? value = null) => new()
        {
            Type = type,
            Name = name,
            UserId = userId,
            AnonymousId = deviceId,
            MessageId = messageId,
            Timestamp = time,
            Value = value,
            PropertiesJson = properties,
            ContextJson = context,
            ProfileChanges = changes,
            Source = Source,
            Internal = isInternal,
        };

        var events = new List<IncomingEvent>(2);
        SessionActivity activity = SessionActivity.Other;
        switch (action)
        {
            case LeanplumActions.Start or LeanplumActions.Restart:
                bool background = args.Bool(LeanplumParams.Background) ?? false;
                activity = background ? SessionActivity.BackgroundStart : SessionActivity.Start;
                if (userId is not null && deviceId is not null)
                {
                    // Starting with a user id is a login: an identify merges the device's anonymous history.
                    events.Add(Event(EventTypes.Identify, LeanplumEventNames.Identify, true) with
                    {
                        MessageId = messageId is null ? null : messageId + ":login",
                    });
                }

                events.Add(Event(EventTypes.Track, LeanplumEventNames.Start, false,
                    background ? """{"$background":true}""" : null,
                    AttributeChanges(args, LeanplumParams.UserAttributes) ?? new ProfileChanges()));
                break;
            case LeanplumActions.Stop:
                activity = SessionActivity.Stop;
                events.Add(Event(EventTypes.Track, LeanplumEventNames.Stop, true));
                break;
            case LeanplumActions.Heartbeat:
                activity = SessionActivity.Heartbeat;
                events.Add(Event(EventTypes.Track, LeanplumEventNames.Heartbeat, true));
                break;
            case LeanplumActions.PauseSession:
                activity = SessionActivity.Pause;
                events.Add(Event(EventTypes.Track, LeanplumEventNames.PauseSession, true));
                break;
            case LeanplumActions.ResumeSession:
                activity = SessionActivity.Resume;
                events.Add(Event(EventTypes.Track, LeanplumEventNames.ResumeSession, true));
                break;
            case LeanplumActions.PauseState:
                events.Add(Event(EventTypes.Track, LeanplumEventNames.PauseState, true));
                break;
            case LeanplumActions.ResumeState:
                events.Add(Event(EventTypes.Track, LeanplumEventNames.ResumeState, true));
                break;
            case LeanplumActions.Track or LeanplumActions.TrackGeofence:
                events.Add(TrackEvent(args, action, Event));
                break;
            case LeanplumActions.Advance:
                string state = args.String(LeanplumParams.State) ?? throw new LeanplumFormatException("Missing argument state.");
                if (LeanplumNames.Check("state", state) is { } stateError) throw new LeanplumFormatException(stateError);
                events.Add(state.Length == 0
                    ? Event(EventTypes.State, LeanplumEventNames.LeaveState, true, Properties(args, null))
                    : Event(EventTypes.State, state, false, Properties(args, w => w.WriteString("$state", state))));
                break;
            case LeanplumActions.SetUserAttributes:
                events.Add(UserAttributesEvent(args, deviceId, Event));
                break;
            case LeanplumActions.SetDeviceAttributes:
                events.Add(Event(EventTypes.Track, LeanplumEventNames.DeviceAttributes, true));
                break;
            case LeanplumActions.SetTrafficSourceInfo:
                var source = args.Object("trafficSource") ?? throw new LeanplumFormatException("Missing argument trafficSource (a JSON object).");
                events.Add(Event(EventTypes.Track, LeanplumEventNames.TrafficSource, true, source.GetRawText()) with
                {
                    ContextJson = WithCampaign(context, source),
                });
                break;
            case LeanplumActions.RegisterDevice:
                string email = args.Required("email");
                events.Add(Event(EventTypes.Track, LeanplumEventNames.RegisterDevice, true, JsonObjectText(w => w.WriteString("$email", email))));
                break;
            case LeanplumActions.MarkNewsfeedMessageAsRead or LeanplumActions.DeleteNewsfeedMessage:
                string inboxId = args.Required(LeanplumParams.NewsfeedMessageId);
                events.Add(Event(EventTypes.Track,
                    action == LeanplumActions.DeleteNewsfeedMessage ? LeanplumEventNames.NewsfeedMessageDeleted : LeanplumEventNames.NewsfeedMessageRead,
                    true, JsonObjectText(w => w.WriteString("$newsfeedMessageId", inboxId))));
                break;
            default:
                throw new LeanplumFormatException($"Action {action} is not a tracking action.");
        }

        foreach (var e in events)
        {
            if (validator.Validate(e) is { } error) throw new LeanplumFormatException(error);
        }

        return new LeanplumMappedItem(events, activity, deviceId, userId);
    }

    /// <summary>
    /// The items of a call <see cref="LeanplumMultiFastPath"/> read, as the events <see cref="Map"/> makes of a
    /// <c>track</c>; null when any item would not map (the caller then runs the full path, which says why).
    /// </summary>
    public IReadOnlyList<LeanplumMappedItem>? MapPlain(LeanplumPlainMulti call, DateTimeOffset receivedAt, string? clientIp)
    {
        var mapped = new LeanplumMappedItem[call.Items.Count];
        (string? DeviceId, string? Client, string? VersionName, string? SdkVersion, string? Text) lastContext = default;
        for (int i = 0; i < mapped.Length; i++)
        {
            var item = call.Items[i];
            if (Ids(item.DeviceId, item.UserId) is not var (deviceId, userId)) return null;
            DateTimeOffset time;
            try
            {
                time = EventTime(item.Time, receivedAt, call.BatchTime);
            }
            catch (LeanplumFormatException)
            {
                return null;
            }

            if (string.IsNullOrEmpty(item.Event) || LeanplumNames.Check("event", item.Event) is not null) return null;
            string? context = null;
            if (deviceId is not null)
            {
                if (lastContext.Text is null || lastContext.DeviceId != deviceId || lastContext.Client != item.Client
                    || lastContext.VersionName != item.VersionName || lastContext.SdkVersion != item.SdkVersion)
                {
                    var args = new LeanplumArgs();
                    if (item.Client is not null) args.SetText(LeanplumParams.Client, item.Client);
                    if (item.VersionName is not null) args.SetText(LeanplumParams.VersionName, item.VersionName);
                    if (item.SdkVersion is not null) args.SetText(LeanplumParams.SdkVersion, item.SdkVersion);
                    lastContext = (deviceId, item.Client, item.VersionName, item.SdkVersion, Context(args, deviceId, clientIp));
                }

                context = lastContext.Text;
            }

            var e = new IncomingEvent
            {
                Type = EventTypes.Track,
                Name = item.Event,
                UserId = userId,
                AnonymousId = deviceId,
                MessageId = MessageIdOf(item.RequestId, item.BatchId),
                Timestamp = time,
                Value = item.Value,
                PropertiesJson = item.PropertiesJson,
                ContextJson = context,
                Source = Source,
            };
            if (validator.Validate(e) is not null) return null;
            mapped[i] = new LeanplumMappedItem([e], SessionActivity.Other, deviceId, userId);
        }

        return mapped;
    }

    /// <summary>The de-duplication key of a native SDK request: its batch <c>uuid</c> and request id.</summary>
    public static string? MessageIdOf(LeanplumArgs args) => MessageIdOf(args.String(LeanplumParams.RequestId), args.String(LeanplumParams.BatchId));

    private static string? MessageIdOf(string? requestId, string? batchId)
    {
        if (string.IsNullOrEmpty(requestId)) return null;
        return string.IsNullOrEmpty(batchId) ? "lp:" + requestId : "lp:" + batchId + ":" + requestId;
    }

    /// <summary>Seconds since the epoch as the SDKs send them: decimal or scientific text, or a number.</summary>
    public static DateTimeOffset EventTime(LeanplumArgs args, DateTimeOffset receivedAt, double? batchTime) =>
        EventTime(args.Number(LeanplumParams.Time), receivedAt, batchTime);

    private static DateTimeOffset EventTime(double? itemTime, DateTimeOffset receivedAt, double? batchTime)
    {
        if (itemTime is null) return receivedAt;
        if (batchTime is null) return FromSeconds(itemTime.Value);
        // The client's clock may be off: trust only the interval between the call and the batch's send.
        return receivedAt - TimeSpan.FromMilliseconds(Math.Round(Math.Max(0, batchTime.Value - itemTime.Value) * 1000));
    }

    public static DateTimeOffset FromSeconds(double seconds)
    {
        if (seconds is < 0 or > 253_402_300_799) throw new LeanplumFormatException("time must be seconds since 1970 (e.g. 1700000000.123).");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
    }

    private IncomingEvent TrackEvent(LeanplumArgs args, string action, Func<string, string, bool, string?, ProfileChanges?, double?, IncomingEvent> create)
    {
        string? name = args.String(LeanplumParams.Event);
        string? messageId = args.String(LeanplumParams.MessageId);
        string? info = args.String(LeanplumParams.Info);
        string? currency = args.String(LeanplumParams.CurrencyCode);
        double? value = args.Number(LeanplumParams.Value);
        if (string.IsNullOrEmpty(messageId))
        {
            if (string.IsNullOrEmpty(name))
            {
                if (action != LeanplumActions.TrackGeofence) throw new LeanplumFormatException("Missing argument event.");
                name = "$geofence";
            }
            else if (LeanplumNames.Check("event", name) is { } error)
            {
                throw new LeanplumFormatException(error);
            }
        }
        else
        {
            if (!string.IsNullOrEmpty(name) && LeanplumNames.Check("event", name) is { } error) throw new LeanplumFormatException(error);
            name = LeanplumEventNames.MessagePrefix + (string.IsNullOrEmpty(name) ? LeanplumEventNames.MessageView : name);
        }

        string? properties = Properties(args, w =>
        {
            if (info is not null) w.WriteString("$info", info);
            if (!string.IsNullOrEmpty(currency)) w.WriteString("$currencyCode", currency);
            if (!string.IsNullOrEmpty(messageId)) w.WriteString("$messageId", messageId);
            foreach (string extra in (ReadOnlySpan<string>)["googlePlayPurchaseData", "googlePlayPurchaseDataSignature", "item", "disposition"])
            {
                if (args.String(extra) is { Length: > 0 } text) w.WriteString("$" + extra, text);
            }
        });
        return create(EventTypes.Track, name, false, properties, null, value);
    }

    private IncomingEvent UserAttributesEvent(LeanplumArgs args, string? deviceId, Func<string, string, bool, string?, ProfileChanges?, double?, IncomingEvent> create)
    {
        var changes = AttributeChanges(args, LeanplumParams.UserAttributes) ?? new ProfileChanges();
        changes = changes with
        {
            AddJson = AttributeObject(args, "userAttributeValuesToAdd"),
            RemoveJson = AttributeObject(args, "userAttributeValuesToRemove"),
            IncrementJson = AttributeObject(args, "userAttributeValuesToIncrement"),
            UnsubscribeChannelsToAdd = args.StringList("unsubscribeChannelsToAdd"),
            UnsubscribeChannelsToRemove = args.StringList("unsubscribeChannelsToRemove"),
        };
        var categoriesToAdd = args.StringList("unsubscribeCategoriesToAdd");
        var categoriesToRemove = args.StringList("unsubscribeCategoriesToRemove");
        string? properties = categoriesToAdd is null && categoriesToRemove is null ? null : JsonObjectText(w =>
        {
            WriteList(w, "$unsubscribeCategoriesToAdd", categoriesToAdd);
            WriteList(w, "$unsubscribeCategoriesToRemove", categoriesToRemove);
        });
        var e = create(EventTypes.Identify, LeanplumEventNames.Identify, true, properties, changes.IsEmpty ? null : changes, null);
        if (Id(args, LeanplumParams.NewUserId) is { } newUserId)
        {
            if (newUserId.Length > 400) throw new LeanplumFormatException("newUserId is longer than 400 characters.");
            // Login: the device (and, when it was anonymous, its history) now belongs to the new user.
            e = e with { UserId = newUserId == deviceId ? null : newUserId };
        }

        return e;
    }

    private ProfileChanges? AttributeChanges(LeanplumArgs args, string name) =>
        AttributeObject(args, name) is { } json ? new ProfileChanges { SetJson = json } : null;

    private string? AttributeObject(LeanplumArgs args, string name)
    {
        if (args.Object(name) is not { } attributes) return null;
        if (validator.ValidateProperties(attributes, name) is { } error) throw new LeanplumFormatException(error);
        foreach (var attribute in attributes.EnumerateObject())
        {
            if (LeanplumNames.Check("user attribute", attribute.Name) is { } nameError) throw new LeanplumFormatException(nameError);
        }

        return attributes.GetRawText();
    }

    /// <summary>The event's <c>params</c> (≤ 50, checked names) flattened, plus the Leanplum fields <paramref name="extra"/> writes.</summary>
    private static string? Properties(LeanplumArgs args, Action<Utf8JsonWriter>? extra)
    {
        var parameters = args.Object(LeanplumParams.Params);
        if (parameters is { } p)
        {
            int count = 0;
            foreach (var parameter in p.EnumerateObject())
            {
                if (++count > LeanplumNames.MaxParameters)
                    throw new LeanplumFormatException($"Too many parameters: an event may have at most {LeanplumNames.MaxParameters}.");
                if (LeanplumNames.Check("parameter", parameter.Name) is { } error) throw new LeanplumFormatException(error);
                if (parameter.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    throw new LeanplumFormatException($"Parameter {parameter.Name} must be a string, number or boolean.");
            }
        }

        if (parameters is null && extra is null) return null;
        string text = JsonObjectText(w =>
        {
            if (parameters is { } p2)
            {
                foreach (var parameter in p2.EnumerateObject()) parameter.WriteTo(w);
            }

            extra?.Invoke(w);
        });
        return text == "{}" ? null : text;
    }

    /// <summary>Segment's context shape, which the profile projection reads: device, os, app, locale, timezone, location.</summary>
    private static string Context(LeanplumArgs args, string deviceId, string? clientIp)
    {
        string? client = args.String(LeanplumParams.Client);
        string? iosToken = args.String("iosPushToken");
        string? fcmToken = args.String("gcmRegistrationId") ?? args.String("huaweiPushRegId");
        string? deviceType = client switch
        {
            "js" => "web",
            "ios" or "android" => client,
            _ when !string.IsNullOrEmpty(iosToken) => "ios",
            _ when !string.IsNullOrEmpty(fcmToken) => "android",
            _ => client,
        };
        string? token = deviceType == "ios" ? iosToken : fcmToken ?? iosToken;

        return JsonObjectText(w =>
        {
            w.WriteStartObject("device");
            w.WriteString("id", deviceId);
            WriteText(w, "type", deviceType);
            WriteText(w, "name", args.String("deviceName"));
            WriteText(w, "model", args.String("deviceModel"));
            WriteText(w, "token", token);
            if (args.Object("webPushSubscription") is { } subscription)
            {
                w.WritePropertyName("webPushSubscription");
                subscription.WriteTo(w);
            }

            w.WriteEndObject();
            WriteGroup(w, "os", ("name", args.String("systemName")), ("version", args.String("systemVersion")));
            WriteGroup(w, "browser", ("name", args.String("browserName")), ("version", args.String("browserVersion")));
            WriteGroup(w, "app", ("version", args.String(LeanplumParams.VersionName) ?? args.String(LeanplumParams.AppVersion)));
            WriteGroup(w, "library", ("name", client is null ? "leanplum" : "leanplum-" + client), ("version", args.String(LeanplumParams.SdkVersion)));
            WriteText(w, "locale", Detected(args.String("locale")));
            WriteText(w, "timezone", args.String("timezone"));
            if (args.Number("timezoneOffsetSeconds") is { } offset) w.WriteNumber("timezoneOffsetSeconds", offset);
            string? country = Detected(args.String("country"));
            string? region = Detected(args.String("region"));
            string? city = Detected(args.String("city"));
            var (latitude, longitude) = LatitudeLongitude(Detected(args.String("location")));
            if (country is not null || region is not null || city is not null || latitude is not null)
            {
                w.WriteStartObject("location");
                WriteText(w, "country", country);
                WriteText(w, "region", region);
                WriteText(w, "city", city);
                if (latitude is { } lat && longitude is { } lon)
                {
                    w.WriteNumber("latitude", lat);
                    w.WriteNumber("longitude", lon);
                }

                w.WriteEndObject();
            }

            WriteText(w, "ip", clientIp);
            if (args.Bool("limitTracking") is { } limitTracking) w.WriteBoolean("limitTracking", limitTracking);
        }, Contexts);
    }

    private static string? WithCampaign(string? context, JsonElement source)
    {
        if (context is null) return null;
        using var document = JsonDocument.Parse(context);
        return JsonObjectText(w =>
        {
            foreach (var property in document.RootElement.EnumerateObject()) property.WriteTo(w);
            w.WritePropertyName("campaign");
            source.WriteTo(w);
        });
    }

    private static (double? Latitude, double? Longitude) LatitudeLongitude(string? location)
    {
        if (location is null) return (null, null);
        int comma = location.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0) return (null, null);
        double? latitude = LeanplumArgs.ParseNumber(location[..comma].Trim());
        double? longitude = LeanplumArgs.ParseNumber(location[(comma + 1)..].Trim());
        return latitude is >= -90 and <= 90 && longitude is >= -180 and <= 180 ? (latitude, longitude) : (null, null);
    }

    /// <summary>"(detect)" asks the server to work the value out; it is not a value.</summary>
    private static string? Detected(string? value) => string.IsNullOrEmpty(value) || value == "(detect)" ? null : value;

    private static string? Id(LeanplumArgs args, string name) => args.String(name) is { Length: > 0 } id ? id : null;

    /// <summary>
    /// The device and user ids an item is stored under (empty counts as absent), or null when it has neither. The JS SDK
    /// sends userId = deviceId until a user is set: that is an anonymous device, so no user id.
    /// </summary>
    private static (string? DeviceId, string? UserId)? Ids(string? sentDeviceId, string? sentUserId)
    {
        string? deviceId = sentDeviceId is { Length: > 0 } ? sentDeviceId : null;
        string? userId = sentUserId is { Length: > 0 } ? sentUserId : null;
        if (deviceId is null && userId is null) return null;
        return (deviceId, userId == deviceId ? null : userId);
    }

    private static void WriteText(Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) w.WriteString(name, value);
    }

    private static void WriteGroup(Utf8JsonWriter w, string name, params ReadOnlySpan<(string Name, string? Value)> fields)
    {
        bool any = false;
        foreach (var (_, value) in fields) any |= !string.IsNullOrEmpty(value);
        if (!any) return;
        w.WriteStartObject(name);
        foreach (var (field, value) in fields) WriteText(w, field, value);
        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is null) return;
        w.WriteStartArray(name);
        foreach (string value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private static string JsonObjectText(Action<Utf8JsonWriter> write, RepeatedTextCache? repeated = null)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return repeated is null ? Encoding.UTF8.GetString(buffer.WrittenSpan) : repeated.Get(buffer.WrittenSpan);
    }
}
