namespace Lodestar.Core.Profiles;

/// <summary>
/// What changed in an app's profiles after a version: the persons saved since (with what the reader asked for) and the
/// persons removed since (erased, or merged into another person). A person can be in both when removed and saved again.
/// </summary>
public sealed record ProfileDelta<T>(IReadOnlyList<T> Changed, IReadOnlyList<string> Removed)
{
    public int Count => Changed.Count + Removed.Count;

    /// <summary>
    /// Whether a copy of <paramref name="copied"/> persons is cheaper to bring up to date with this delta than to make
    /// again: up to a quarter of the copy (at least 1,000 persons).
    /// </summary>
    public bool WorthFollowing(long copied) => Count <= Math.Max(1_000, copied / 4);
}
