namespace Lodestar.Core.Segments;

/// <summary>
/// Real-time segment membership as the per-user engine keeps it: who is in which segment since when, the history
/// of entries and exits, the timers of time-based re-evaluation, and the engine's cursor in the event stream.
/// </summary>
public interface ISegmentMembershipStore
{
    /// <summary>The sequence of the last event whose membership changes are stored.</summary>
    long Cursor { get; }

    /// <summary>The segments the person is in now, with their entry times.</summary>
    IReadOnlyDictionary<string, DateTimeOffset> Memberships(string appId, string personId);

    /// <summary>The persons in the segment now.</summary>
    IReadOnlyList<string> Members(string appId, string segmentId);

    /// <summary>
    /// Records changes and timers, moves the cursor (when given) and keeps the events to emit for the changes (their
    /// <see cref="SegmentEmission.Id"/> is assigned here, in order), in one transaction. Returns the id given to the
    /// last kept event (0 when none was kept).
    /// </summary>
    long Commit(IReadOnlyCollection<SegmentMembershipChange> changes, IReadOnlyCollection<SegmentTimer> timers, long? cursor, IReadOnlyCollection<SegmentEmission>? emissions = null);

    /// <summary>The events kept by commits and not yet marked emitted, oldest first.</summary>
    IReadOnlyList<SegmentEmission> PendingEmissions(int limit);

    /// <summary>Forgets the kept events up to <paramref name="throughId"/>: the ingestion pipeline has them.</summary>
    void EmissionsDone(long throughId);

    /// <summary>Timers due at or before <paramref name="now"/>, earliest first.</summary>
    IReadOnlyList<SegmentTimer> DueTimers(DateTimeOffset now, int limit);

    /// <summary>The history of a person's entries and exits, oldest first.</summary>
    IReadOnlyList<SegmentMembershipChange> History(string appId, string personId);

    /// <summary>The persons with a profile in the app (every person the engine may have to evaluate).</summary>
    IReadOnlyList<string> Persons(string appId);

    /// <summary>The segment definitions (by a fingerprint of each) whose initial membership is recorded.</summary>
    IReadOnlyDictionary<(string AppId, string SegmentId), string> EvaluatedSegments();

    /// <summary>Marks a definition's initial membership as recorded, or (with a null fingerprint) forgets a deleted segment.</summary>
    void MarkEvaluated(string appId, string segmentId, string? fingerprint);

    /// <summary>Ends every current membership of a deleted segment at <paramref name="at"/> (recorded as exits).</summary>
    void EndSegment(string appId, string segmentId, DateTimeOffset at);

    /// <summary>Forgets the person: memberships, their history and timers (the person is erased).</summary>
    void Erase(string appId, string personId);

    /// <summary>
    /// Whether the person was erased while this store was open: their changes are no longer recorded, and nothing decided
    /// about them before the erasure (a step still in flight) may be emitted.
    /// </summary>
    bool WasErased(string appId, string personId) => false;
}

/// <summary>
/// A <c>$segmentEntered</c>/<c>$segmentLeft</c> event the engine decided, kept with the membership change that caused it
/// until the ingestion pipeline has made it durable (an outbox): a stop or a crash between the two loses no event.
/// It is the change (<see cref="Entered"/> the segment or left it, at <see cref="At"/>) and the ids the event carries:
/// exactly one of <see cref="UserId"/> and <see cref="AnonymousId"/> is set.
/// </summary>
public sealed record SegmentEmission(
    long Id, string AppId, string PersonId, string SegmentId, string SegmentName, bool Entered, string? UserId, string? AnonymousId, DateTimeOffset At);
