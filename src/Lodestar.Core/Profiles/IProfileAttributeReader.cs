using System.Text.Json.Nodes;

namespace Lodestar.Core.Profiles;

/// <summary>Reads person attributes in bulk, for analytics filters and breakdowns.</summary>
public interface IProfileAttributeReader
{
    /// <summary>A number that changes whenever any profile may have changed (the projection's cursor), for caching.</summary>
    long Version { get; }

    /// <summary>Every person of the app with the value of each named attribute (null where unset), in the order asked.</summary>
    IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names);

    /// <summary>The attributes of up to <paramref name="limit"/> persons (for the attribute catalog).</summary>
    IEnumerable<JsonObject> Sample(string appId, int limit);
}
