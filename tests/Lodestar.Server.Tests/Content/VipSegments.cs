using System.Runtime.CompilerServices;
using Lodestar.Core.Identity;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Tests.Content;

/// <summary>A test stand-in for the segments feature: segment "vip" holds the persons with a user id starting "vip".</summary>
public sealed class VipSegments(IIdentityStore identities) : ISegmentAudience
{
    public const string Id = "vip";

    public ValueTask<bool> ExistsAsync(string appId, string segmentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(segmentId == Id);

    public ValueTask<bool> ContainsAsync(string appId, string segmentId, string personId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(segmentId == Id && identities.IdsOf(appId, personId).Any(IsVip));

    public async IAsyncEnumerable<string> PersonsAsync(string appId, string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        if (segmentId != Id) yield break;
        foreach (var link in identities.All().Where(l => l.AppId == appId && IsVip(l.DistinctId)).DistinctBy(l => l.PersonId)) yield return link.PersonId;
    }

    private static bool IsVip(string distinctId) => distinctId.StartsWith(DistinctIds.User("vip"), StringComparison.Ordinal);
}
