using System.Text.Json.Nodes;
using Lodestar.Core.Events;

namespace Lodestar.Core.Segments;

/// <summary>One event of a person as segment criteria see it: name, time, value and top-level properties.</summary>
public sealed record PersonEvent(string Name, DateTimeOffset Time, double? Value = null, JsonObject? Properties = null)
{
    /// <summary>
    /// The event as segments see a stored one, or null for an internal (profile-only) message, which segments ignore
    /// just as the batch SQL does (<c>NOT internal</c>).
    /// </summary>
    public static PersonEvent? From(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var e = stored.Event;
        if (e.Internal) return null;
        JsonObject? properties = null;
        if (!string.IsNullOrEmpty(e.PropertiesJson))
        {
            try
            {
                properties = JsonNode.Parse(e.PropertiesJson) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                // Ingestion stores only valid JSON; a row that is not is treated as having no properties, as SQL does.
                properties = null;
            }
        }

        return new PersonEvent(e.Name, e.Timestamp, e.Value, properties);
    }
}
