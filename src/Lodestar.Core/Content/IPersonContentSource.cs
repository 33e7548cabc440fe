namespace Lodestar.Core.Content;

/// <summary>The seam between the SDK protocol and campaigns/A/B tests: what content a person gets.</summary>
public interface IPersonContentSource
{
    /// <param name="personId">The person the ids resolve to, or null for a device not seen yet.</param>
    PersonContent ContentFor(string appId, string? personId, string? userId, string deviceId);
}

/// <summary>No campaigns or tests yet: everyone gets the code defaults and no messages.</summary>
public sealed class EmptyPersonContentSource : IPersonContentSource
{
    public PersonContent ContentFor(string appId, string? personId, string? userId, string deviceId) => PersonContent.Empty;
}
