using System.Runtime.CompilerServices;
using Lodestar.Analytics.Segments;
using Lodestar.Core.Segments;
using Lodestar.Server.Users;

namespace Lodestar.Server.Segments;

/// <summary>
/// Saved segments for campaigns, tests and messages, answered by batch evaluation over the stores after every
/// acknowledged event has reached them.
/// </summary>
public sealed class BatchSegmentAudience(
    ISegmentStore store, SegmentDefinitions definitions, SegmentBatchEvaluator batch, ReadYourWrites fresh, TimeProvider time) : ISegmentAudience
{
    public ValueTask<bool> ExistsAsync(string appId, string segmentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(store.Find(appId, segmentId) is not null);

    public async ValueTask<bool> ContainsAsync(string appId, string segmentId, string personId, CancellationToken cancellationToken = default)
    {
        if (store.Find(appId, segmentId) is not { } segment) return false;
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return await batch.ContainsAsync(appId, segment.Criteria, definitions.Lookup(appId), time.GetUtcNow(), personId, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> PersonsAsync(string appId, string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (store.Find(appId, segmentId) is not { } segment) yield break;
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        var persons = await batch.PersonIdsAsync(appId, segment.Criteria, definitions.Lookup(appId), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (string person in persons) yield return person;
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        await fresh.EventsAsync(cancellationToken).ConfigureAwait(false);
        await fresh.ProfilesStoredAsync(cancellationToken).ConfigureAwait(false);
    }
}
