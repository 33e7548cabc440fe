using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Lodestar.Core.Segments;

namespace Lodestar.Server.Tests.Messages;

/// <summary>Stands in for the segments feature: segments are sets of person ids the test fills.</summary>
public sealed class TestSegmentAudience : ISegmentAudience
{
    private readonly ConcurrentDictionary<(string AppId, string SegmentId), ConcurrentDictionary<string, bool>> _segments = new();

    public void Define(string appId, string segmentId, params string[] personIds)
    {
        var members = _segments.GetOrAdd((appId, segmentId), _ => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal));
        foreach (string id in personIds) members[id] = true;
    }

    public ValueTask<bool> ExistsAsync(string appId, string segmentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_segments.ContainsKey((appId, segmentId)));

    public ValueTask<bool> ContainsAsync(string appId, string segmentId, string personId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_segments.TryGetValue((appId, segmentId), out var members) && members.ContainsKey(personId));

    public async IAsyncEnumerable<string> PersonsAsync(string appId, string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        if (!_segments.TryGetValue((appId, segmentId), out var members)) yield break;
        foreach (string id in members.Keys) yield return id;
    }
}
