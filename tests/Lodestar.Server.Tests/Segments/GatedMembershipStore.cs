using Lodestar.Core.Segments;

namespace Lodestar.Server.Tests.Segments;

/// <summary>
/// The real membership store behind a gate on its commits: while the gate is closed a commit waits, as one held up by a
/// slow disk or another writer would, so a test can act while the engine's commit is still in flight.
/// </summary>
internal sealed class GatedMembershipStore(ISegmentMembershipStore inner) : ISegmentMembershipStore
{
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly SemaphoreSlim _held = new(0);

    public void Close() => _open.Reset();

    public void Open() => _open.Set();

    /// <summary>Completes once a commit has come to the closed gate.</summary>
    public Task CommitHeldAsync(TimeSpan timeout) => _held.WaitAsync(timeout).ContinueWith(
        t => t.Result ? Task.CompletedTask : throw new TimeoutException("No commit came to the gate."), TaskScheduler.Default).Unwrap();

    public long Cursor => inner.Cursor;

    public long Commit(IReadOnlyCollection<SegmentMembershipChange> changes, IReadOnlyCollection<SegmentTimer> timers, long? cursor, IReadOnlyCollection<SegmentEmission>? emissions = null)
    {
        if (!_open.IsSet) _held.Release();
        _open.Wait();
        return inner.Commit(changes, timers, cursor, emissions);
    }

    public IReadOnlyList<SegmentEmission> PendingEmissions(int limit) => inner.PendingEmissions(limit);

    public void EmissionsDone(long throughId) => inner.EmissionsDone(throughId);

    public IReadOnlyDictionary<string, DateTimeOffset> Memberships(string appId, string personId) => inner.Memberships(appId, personId);

    public IReadOnlyList<string> Members(string appId, string segmentId) => inner.Members(appId, segmentId);

    public IReadOnlyList<SegmentTimer> DueTimers(DateTimeOffset now, int limit) => inner.DueTimers(now, limit);

    public IReadOnlyList<SegmentMembershipChange> History(string appId, string personId) => inner.History(appId, personId);

    public IReadOnlyList<string> Persons(string appId) => inner.Persons(appId);

    public IReadOnlyDictionary<(string AppId, string SegmentId), string> EvaluatedSegments() => inner.EvaluatedSegments();

    public void MarkEvaluated(string appId, string segmentId, string? fingerprint) => inner.MarkEvaluated(appId, segmentId, fingerprint);

    public void EndSegment(string appId, string segmentId, DateTimeOffset at) => inner.EndSegment(appId, segmentId, at);

    public void Erase(string appId, string personId) => inner.Erase(appId, personId);

    public bool WasErased(string appId, string personId) => inner.WasErased(appId, personId);
}
