namespace Lodestar.Core.Profiles;

/// <summary>Reads whole profiles in bulk (batch segment evaluation mirrors them into the analytics store).</summary>
public interface IProfileReader
{
    /// <summary>A number that changes whenever any profile may have changed (the projection's cursor), for caching.</summary>
    long Version { get; }

    /// <summary>Every profile of the app, in no particular order.</summary>
    IEnumerable<Profile> ReadAll(string appId);
}
