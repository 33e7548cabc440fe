namespace Lodestar.Core.Profiles;

/// <summary>
/// What changed in an app's profiles after a version: the persons saved since (with what the reader asked for) and the
/// persons removed since (erased, or merged into another person). A person can be in both when removed and saved again.
/// </summary>
public sealed record ProfileDelta<T>(IReadOnlyList<T> Changed, IReadOnlyList<string> Removed)
{
    public int Count => Changed.Count + Removed.Count;
}
