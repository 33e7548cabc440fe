namespace Lodestar.Core.Segments;

/// <summary>Saved segments (the state store keeps them).</summary>
public interface ISegmentStore
{
    /// <summary>A number that increases on every change to any segment, so readers reload definitions only when it moved.</summary>
    long Version { get; }

    /// <summary>The app's segments, by creation time.</summary>
    IReadOnlyList<SavedSegment> List(string appId);

    /// <summary>Every app's segments (for engines that watch them all).</summary>
    IReadOnlyList<SavedSegment> ListAll();

    SavedSegment? Find(string appId, string segmentId);

    /// <summary>Inserts or replaces the segment with this app and id.</summary>
    void Save(SavedSegment segment);

    /// <summary>Deletes the segment; false when there was none.</summary>
    bool Delete(string appId, string segmentId);
}
