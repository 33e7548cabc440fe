namespace Lodestar.Core.Profiles;

/// <summary>Reads whole profiles in bulk (batch segment evaluation mirrors them into the analytics store).</summary>
public interface IProfileReader
{
    /// <summary>A number that grows whenever any profile is saved or removed, for caching.</summary>
    long Version { get; }

    /// <summary>Every profile of the app, in no particular order.</summary>
    IEnumerable<Profile> ReadAll(string appId);

    /// <summary>
    /// The app's profiles saved and removed after <paramref name="version"/> (a <see cref="Version"/> read before an
    /// earlier copy), so a copy can be brought up to date; null when the reader cannot tell (the copy is rebuilt).
    /// </summary>
    ProfileDelta<Profile>? ChangesSince(string appId, long version) => null;
}
