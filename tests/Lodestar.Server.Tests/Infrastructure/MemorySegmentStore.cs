using Lodestar.Core.Segments;

namespace Lodestar.Server.Tests.Infrastructure;

/// <summary>Saved segments held in memory, for engine tests that define segments directly (one instance may outlive a host: a restart).</summary>
public sealed class MemorySegmentStore(TimeProvider? time = null) : ISegmentStore
{
    private readonly Lock _lock = new();
    private readonly List<SavedSegment> _segments = [];
    private long _version;

    public long Version => Interlocked.Read(ref _version);

    public SavedSegment Define(string appId, string id, string name, string criteriaJson)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var segment = new SavedSegment
        {
            Id = id,
            AppId = appId,
            Name = name,
            CriteriaJson = criteriaJson,
            Criteria = SegmentCriteriaParser.Parse(criteriaJson, new SegmentParseContext { Segments = other => Find(appId, other)?.Criteria }),
            CreatedAt = now,
            UpdatedAt = now,
        };
        Save(segment);
        return segment;
    }

    public IReadOnlyList<SavedSegment> List(string appId)
    {
        lock (_lock) return [.. _segments.Where(s => s.AppId == appId)];
    }

    public IReadOnlyList<SavedSegment> ListAll()
    {
        lock (_lock) return [.. _segments];
    }

    public SavedSegment? Find(string appId, string segmentId)
    {
        lock (_lock) return _segments.FirstOrDefault(s => s.AppId == appId && s.Id == segmentId);
    }

    public void Save(SavedSegment segment)
    {
        lock (_lock)
        {
            _segments.RemoveAll(s => s.AppId == segment.AppId && s.Id == segment.Id);
            _segments.Add(segment);
            _version++;
        }
    }

    public bool Delete(string appId, string segmentId)
    {
        lock (_lock)
        {
            bool removed = _segments.RemoveAll(s => s.AppId == appId && s.Id == segmentId) > 0;
            if (removed) _version++;
            return removed;
        }
    }
}
