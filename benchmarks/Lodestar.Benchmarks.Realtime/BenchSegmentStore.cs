using Lodestar.Core.Segments;

namespace Lodestar.Benchmarks.Realtime;

/// <summary>Saved segments in memory, so the benchmark defines its 100 segments without the segments API.</summary>
public sealed class BenchSegmentStore : ISegmentStore
{
    private readonly List<SavedSegment> _segments = [];
    private long _version;

    public long Version => Interlocked.Read(ref _version);

    public void Define(string appId, string id, string criteriaJson)
    {
        lock (_segments)
        {
            _segments.Add(new SavedSegment
            {
                Id = id,
                AppId = appId,
                Name = id,
                CriteriaJson = criteriaJson,
                Criteria = SegmentCriteriaParser.Parse(criteriaJson),
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            });
            _version++;
        }
    }

    public IReadOnlyList<SavedSegment> List(string appId)
    {
        lock (_segments) return [.. _segments.Where(s => s.AppId == appId)];
    }

    public IReadOnlyList<SavedSegment> ListAll()
    {
        lock (_segments) return [.. _segments];
    }

    public SavedSegment? Find(string appId, string segmentId)
    {
        lock (_segments) return _segments.FirstOrDefault(s => s.AppId == appId && s.Id == segmentId);
    }

    public void Save(SavedSegment segment) => throw new NotSupportedException();

    public bool Delete(string appId, string segmentId) => throw new NotSupportedException();
}
