using Lodestar.Core.Identity;
using Lodestar.Engine.Profiles;

namespace Lodestar.Server.Users;

/// <summary>Finds a person by any id they have used: a user id, an anonymous or device id, or the person id itself.</summary>
public sealed class PersonLookup(IIdentityStore identities, ProfileProjector profiles)
{
    public string? Find(string appId, string id) =>
        identities.Find(appId, DistinctIds.User(id)) ??
        identities.Find(appId, DistinctIds.Anonymous(id)) ??
        (profiles.Find(appId, id) is not null ? id : null);
}
