using Lodestar.Core.Segments;

namespace Lodestar.Engine.Segments;

/// <summary>
/// An app's saved segments, compiled for real-time evaluation: what the person grains must keep
/// (<see cref="EventNames"/>, within <see cref="Retention"/>) and how to evaluate them all for one person.
/// </summary>
public abstract class LiveSegmentSet
{
    /// <summary>The segments, each with a fingerprint of its definition (a change means new initial membership).</summary>
    public abstract IReadOnlyList<LiveSegment> Segments { get; }

    /// <summary>Names of the events any criterion refers to; other events are never kept.</summary>
    public abstract IReadOnlySet<string> EventNames { get; }

    /// <summary>
    /// Names of the events whose properties some criterion reads (property filters, aggregates of a property). Events of
    /// the other names are kept without their properties: no answer can depend on them, and parsing and holding them is
    /// most of a kept event's cost.
    /// </summary>
    public abstract IReadOnlySet<string> PropertyEventNames { get; }

    /// <summary>How far back events matter (the longest window); null when some criterion looks at all time.</summary>
    public abstract TimeSpan? Retention { get; }

    /// <summary>
    /// The criteria of <see cref="Segments"/> (same indexes) compiled over a person's <see cref="PersonEventIndex"/>: whether
    /// the person is in the segment at an instant, and the earliest time that can change with no new event.
    /// </summary>
    public abstract LiveSegmentPlan Plan { get; }
}

/// <summary>
/// One segment of a <see cref="LiveSegmentSet"/>: the events its criteria name (nested segments included) and
/// whether they look at the profile (attributes, technology, sessions). Its answer can change only through those,
/// or through time passing, so the grain evaluates it again only then. Segments naming the same events share one
/// <see cref="Events"/> set (the same object).
/// </summary>
public sealed record LiveSegment(string Id, string Name, string Fingerprint, IReadOnlySet<string> Events, bool UsesProfile);

/// <summary>The compiled segments of every app, recompiled when a definition changes.</summary>
public interface ILiveSegments
{
    /// <summary>Changes whenever any app's segment definitions change.</summary>
    long Version { get; }

    /// <summary>The app's segments (an empty set when it has none).</summary>
    LiveSegmentSet For(string appId);

    /// <summary>Every app with at least one segment.</summary>
    IReadOnlyList<string> Apps();
}
