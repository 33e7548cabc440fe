using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lodestar.Core.Profiles;

/// <summary>The stored form of a profile: one JSON document.</summary>
public static class ProfileJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
    };

    public static string Serialize(Profile profile) => JsonSerializer.Serialize(profile, Options);

    public static Profile Deserialize(string json) =>
        JsonSerializer.Deserialize<Profile>(json, Options) ?? throw new JsonException("A stored profile is null.");

    public static ProfileDocument Document(Profile profile) =>
        new(profile.AppId, profile.PersonId, profile.UserId, profile.FirstSeen, profile.LastActive, Serialize(profile));
}

/// <summary>A serialised profile with the columns stores index.</summary>
public sealed record ProfileDocument(string AppId, string PersonId, string? UserId, DateTimeOffset FirstSeen, DateTimeOffset LastActive, string Json);
