using Lodestar.Core.Messages;
using Lodestar.Core.Profiles;
using Lodestar.Engine.Ingestion;
using Lodestar.Server.Users;

namespace Lodestar.Server.Messages;

/// <summary>
/// Per-person impression counts for server-side per-user limits. The counts are folded from the event store on
/// demand: a look-up first folds in the impressions and merges stored since the last one (a read of the newest
/// rows only), then reads one person's counts from the state store. So start never scans the events.
/// </summary>
public sealed class MessageImpressions(IMessageEventReader events, IMessageImpressionStore store, EventStoreApplier applier, ReadYourWrites readYourWrites) : IPersonDataEraser, IDisposable
{
    private const int Page = 50_000;
    private readonly SemaphoreSlim _foldGate = new(1, 1);

    public async Task<IReadOnlyDictionary<string, long>> OfAsync(string appId, string personId, IReadOnlyCollection<string> sdkMessageIds, CancellationToken cancellationToken)
    {
        await readYourWrites.EventsAsync(cancellationToken).ConfigureAwait(false);
        // A long fold (the first after an upgrade, over the whole table) runs in the background; a start does not wait
        // for it beyond this and reads the counts folded so far (the SDK still enforces the limit on its device).
        await CatchUpAsync(RequestWait, cancellationToken).ConfigureAwait(false);
        return store.ImpressionsOf(appId, personId, sdkMessageIds);
    }

    private static readonly TimeSpan RequestWait = TimeSpan.FromSeconds(2);

    /// <summary>Folds in everything the event store holds now, unless another fold holds the gate longer than <paramref name="wait"/>.</summary>
    public async Task CatchUpAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!await _foldGate.WaitAsync(wait, cancellationToken).ConfigureAwait(false)) return;
        try
        {
            FoldAll();
        }
        finally
        {
            _foldGate.Release();
        }
    }

    private void FoldAll()
    {
        long cursor = store.Cursor;
        long stored = applier.AppliedSequence;
        while (true)
        {
            var (changes, upTo) = events.ImpressionChangesAfter(cursor, stored, Page);
            if (upTo <= cursor) break;
            store.Apply(changes, upTo);
            cursor = upTo;
        }
    }

    /// <summary>
    /// Erases the person's counts. Folds first, under the fold's gate: the fold moves the counts of persons merged
    /// into this one (their merge rides on this person's events, which the erase deletes next), and no fold running
    /// meanwhile can write the erased counts back.
    /// </summary>
    public async ValueTask EraseAsync(string appId, string personId, CancellationToken cancellationToken)
    {
        await _foldGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FoldAll();
            store.Erase(appId, personId);
        }
        finally
        {
            _foldGate.Release();
        }
    }

    public void Dispose() => _foldGate.Dispose();
}
