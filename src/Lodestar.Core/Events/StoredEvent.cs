namespace Lodestar.Core.Events;

/// <summary>An event as the event store holds it: the incoming message plus what ingestion decided.</summary>
public sealed record StoredEvent
{
    public required long Sequence { get; init; }

    public required string AppId { get; init; }

    public required string PersonId { get; init; }

    public required IncomingEvent Event { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Set when this message merged another person into <see cref="PersonId"/>.</summary>
    public string? MergedPersonId { get; init; }

    /// <summary>
    /// Set when ingestion created <see cref="PersonId"/> for this message, so no store holds a profile of it yet.
    /// A hint for the profile fold only (it skips a store look-up); not kept in the event store or the log.
    /// </summary>
    public bool NewPerson { get; init; }
}
