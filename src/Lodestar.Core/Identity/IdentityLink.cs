namespace Lodestar.Core.Identity;

/// <summary>One id a client uses (a user id or an anonymous/device id), mapped to the person it belongs to.</summary>
public readonly record struct IdentityLink(string AppId, string DistinctId, string PersonId);

/// <summary>Distinct ids are namespaced so a user id and an anonymous id that happen to be equal stay apart.</summary>
public static class DistinctIds
{
    public static string User(string userId) => "u:" + userId;

    public static string Anonymous(string anonymousId) => "a:" + anonymousId;
}
