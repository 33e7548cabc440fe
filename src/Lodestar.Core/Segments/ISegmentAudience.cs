namespace Lodestar.Core.Segments;

/// <summary>
/// Saved segments as campaigns, A/B tests, messages and inbox sends see them: does a segment exist, is a person
/// in it now, who is in it. The segments feature implements it; content and journeys only read through it.
/// </summary>
public interface ISegmentAudience
{
    /// <summary>Whether the app has a saved segment with this id.</summary>
    ValueTask<bool> ExistsAsync(string appId, string segmentId, CancellationToken cancellationToken = default);

    /// <summary>Whether the person (canonical person id) is in the segment now.</summary>
    ValueTask<bool> ContainsAsync(string appId, string segmentId, string personId, CancellationToken cancellationToken = default);

    /// <summary>The canonical person ids in the segment now.</summary>
    IAsyncEnumerable<string> PersonsAsync(string appId, string segmentId, CancellationToken cancellationToken = default);
}

/// <summary>Before the segments feature is wired: no segment exists, so a reference to one is reported as unknown.</summary>
public sealed class NoSegmentAudience : ISegmentAudience
{
    public ValueTask<bool> ExistsAsync(string appId, string segmentId, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

    public ValueTask<bool> ContainsAsync(string appId, string segmentId, string personId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(false);

    public async IAsyncEnumerable<string> PersonsAsync(string appId, string segmentId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }
}
