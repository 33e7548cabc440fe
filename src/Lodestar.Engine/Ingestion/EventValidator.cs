using System.Text.Json;
using Lodestar.Core.Events;
using Microsoft.Extensions.Options;

namespace Lodestar.Engine.Ingestion;

/// <summary>Checks that apply to every event whatever protocol it came through; returns what was wrong, or null.</summary>
public sealed class EventValidator(IOptions<IngestionOptions> options, TimeProvider time)
{
    private readonly IngestionOptions _options = options.Value;

    public IngestionOptions Options => _options;

    public string? Validate(IncomingEvent e, string path = "")
    {
        if (string.IsNullOrEmpty(e.UserId) && string.IsNullOrEmpty(e.AnonymousId))
            return $"{path}userId or {path}anonymousId is required.";
        if (e.UserId is { Length: > 400 }) return $"{path}userId is longer than 400 characters.";
        if (e.AnonymousId is { Length: > 400 }) return $"{path}anonymousId is longer than 400 characters.";
        if (e.MessageId is { Length: > 400 }) return $"{path}messageId is longer than 400 characters.";
        if (e.Name.Length > _options.MaxNameLength)
            return $"{path}event name is {e.Name.Length} characters long; the limit is {_options.MaxNameLength}.";
        if (e.Value is { } value && !double.IsFinite(value)) return $"{path}value must be a finite number.";

        var now = time.GetUtcNow();
        if (e.Timestamp < now - _options.MaxEventAge)
            return $"{path}timestamp {e.Timestamp:O} is older than the accepted window ({_options.MaxEventAge.TotalDays:0} days).";
        if (e.Timestamp > now + _options.MaxFutureSkew)
            return $"{path}timestamp {e.Timestamp:O} is more than {_options.MaxFutureSkew.TotalHours:0} hours in the future.";

        return null;
    }

    /// <summary>Checks an event's properties (or traits): an object, not too many entries, sensible names.</summary>
    public string? ValidateProperties(JsonElement properties, string path)
    {
        if (properties.ValueKind != JsonValueKind.Object) return $"{path} must be a JSON object.";
        int count = 0;
        foreach (var property in properties.EnumerateObject())
        {
            if (++count > _options.MaxProperties) return $"{path} has more than {_options.MaxProperties} entries.";
            // The raw UTF-8 name is never shorter in bytes than the name in characters: only a long one needs decoding.
            int rawLength = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property).Length;
            if (rawLength == 0) return $"{path} has an empty name.";
            if (rawLength > _options.MaxNameLength && property.Name.Length > _options.MaxNameLength)
                return $"{path}.{property.Name[..20]}… is longer than {_options.MaxNameLength} characters.";
        }

        return null;
    }
}
