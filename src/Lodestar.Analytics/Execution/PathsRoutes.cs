using System.Collections.Concurrent;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// Remembers, per app, anchor and direction, whether the key-list plan of paths paid off last time. It answers most
/// persons when they do the anchor event first (or last, for end paths), as with <c>App Open</c>; for an anchor most
/// persons reach late (a purchase) nearly everyone falls to the exact plan, and the key-list pass is wasted. After such a
/// query the next <see cref="SkipAfterMiss"/> queries of that route go to the exact plan directly, then it is tried again.
/// </summary>
public sealed class PathsRoutes
{
    /// <summary>Queries that skip the key-list plan after it left more than a quarter of the persons to the exact plan.</summary>
    public const int SkipAfterMiss = 20;

    private readonly ConcurrentDictionary<(string App, string Anchor, bool FromStart), int> _skips = new();

    /// <summary>Whether to try the key-list plan for this route now.</summary>
    public bool TakeKeyLists((string App, string Anchor, bool FromStart) route)
    {
        while (_skips.TryGetValue(route, out int skips) && skips > 0)
        {
            if (_skips.TryUpdate(route, skips - 1, skips)) return false;
        }

        return true;
    }

    /// <summary>What the key-list plan did: persons it answered, and persons it left to the exact plan.</summary>
    public void Record((string App, string Anchor, bool FromStart) route, long answered, long left)
    {
        if (left * 3 > answered) _skips[route] = SkipAfterMiss;
        else _skips.TryRemove(route, out _);
    }
}
