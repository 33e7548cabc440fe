namespace Lodestar.Analytics.Queries;

/// <summary>What persons did after a start event (or before an end event), for a Sankey: <c>POST /insights/paths</c>.</summary>
public sealed record PathsQuery
{
    public string? StartEvent { get; init; }

    public string? EndEvent { get; init; }

    /// <summary>Steps in a path, the start (or end) event included (default 4, at most 10).</summary>
    public int? Depth { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Events kept per step (default 10); the rest are folded into <c>other</c>.</summary>
    public int? MaxNodesPerStep { get; init; }

    /// <summary>Event names left out of paths.</summary>
    public IReadOnlyList<string>? Exclude { get; init; }

    /// <summary>Only persons now in this saved segment (its id) count.</summary>
    public string? Segment { get; init; }
}

public sealed record PathsResult(IReadOnlyList<PathNode> Nodes, IReadOnlyList<PathLink> Links);

public sealed record PathNode(string Id, int Step, string Event, long Persons);

public sealed record PathLink(string Source, string Target, long Persons);
