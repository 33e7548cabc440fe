using System.Text.Json.Nodes;

namespace Lodestar.Core.Profiles;

/// <summary>Reads person attributes in bulk, for analytics filters and breakdowns.</summary>
public interface IProfileAttributeReader
{
    /// <summary>A number that grows whenever any profile is saved or removed, for caching.</summary>
    long Version { get; }

    /// <summary>Every person of the app with the value of each named attribute (null where unset), in the order asked.</summary>
    IEnumerable<(string PersonId, JsonNode?[] Values)> Read(string appId, IReadOnlyList<string> names);

    /// <summary>
    /// Like <see cref="Read"/>, for the persons saved after <paramref name="version"/>, with the persons removed since;
    /// null when the reader cannot tell (the copy is rebuilt).
    /// </summary>
    ProfileDelta<(string PersonId, JsonNode?[] Values)>? ChangesSince(string appId, IReadOnlyList<string> names, long version) => null;

    /// <summary>The attributes of up to <paramref name="limit"/> persons (for the attribute catalog).</summary>
    IEnumerable<JsonObject> Sample(string appId, int limit);
}
