namespace Lodestar.Engine.Segments;

/// <summary>Until segment definitions are wired: no app has a segment.</summary>
public sealed class NoLiveSegments : ILiveSegments
{
    private sealed class EmptySet : LiveSegmentSet
    {
        public override IReadOnlyList<LiveSegment> Segments => [];

        public override IReadOnlySet<string> EventNames { get; } = new HashSet<string>();

        public override TimeSpan? Retention => TimeSpan.Zero;

        public override LiveEvaluation Evaluate(string personId, Core.Profiles.Profile? profile, IReadOnlyList<TrackedEvent> events, DateTimeOffset now) =>
            new(new HashSet<string>(), null);
    }

    private static readonly EmptySet Empty = new();

    public long Version => 0;

    public LiveSegmentSet For(string appId) => Empty;

    public IReadOnlyList<string> Apps() => [];
}
