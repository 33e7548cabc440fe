namespace Lodestar.Core.Events;

/// <summary>The append-only store of every event (DuckDB embedded, ClickHouse scaled out).</summary>
public interface IEventStore
{
    /// <summary>The highest sequence number stored, or 0 when empty.</summary>
    long MaxSequence();

    /// <summary>Appends the events durably: when this returns, they survive a crash.</summary>
    void Append(IReadOnlyList<StoredEvent> events);

    /// <summary>
    /// Appends the events of records in the durable log's form (<see cref="EventLogCodec"/>), in order, durably: the
    /// ingestion path, which keeps events as those bytes from the log to the store.
    /// </summary>
    void AppendEncoded(IReadOnlyList<ReadOnlyMemory<byte>> records);

    /// <summary>Records that <paramref name="oldPersonId"/> is now <paramref name="personId"/>, so queries count them once.</summary>
    void RecordMerge(string appId, string oldPersonId, string personId);

    /// <summary>The de-duplication keys of messages received at or after <paramref name="since"/>.</summary>
    IEnumerable<(string AppId, string MessageId, DateTimeOffset ReceivedAt)> RecentMessageIds(DateTimeOffset since);

    /// <summary>Events with a sequence above <paramref name="afterSequence"/>, in order (for replaying projections).</summary>
    IEnumerable<StoredEvent> ReadFrom(long afterSequence, int limit);

    /// <summary>A person's newest events (merged ids included), newest first.</summary>
    IReadOnlyList<StoredEvent> PersonEvents(string appId, string personId, int limit, bool includeInternal);

    /// <summary>
    /// The user events (not internal) named <paramref name="names"/> of several persons (merged ids included) with a
    /// sequence up to <paramref name="maxSequence"/>, in sequence order, each with <see cref="StoredEvent.PersonId"/>
    /// set to the requested person it belongs to. One scan for many persons (the per-user engine loads grains so).
    /// </summary>
    IReadOnlyList<StoredEvent> PersonsEvents(string appId, IReadOnlyCollection<string> personIds, IReadOnlyCollection<string> names, long maxSequence);

    /// <summary>Writes the app's events in [from, to) to <paramref name="path"/> in the given format.</summary>
    long Export(string appId, DateTimeOffset from, DateTimeOffset to, ExportFormat format, string path);

    /// <summary>Erases a person's events (merged ids included). Returns the number erased.</summary>
    long DeletePerson(string appId, string personId);
}

public enum ExportFormat
{
    Jsonl,
    Csv,
    Parquet,
}
