namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>A <c>multi</c> call every item of which is a plain <c>track</c>, as <see cref="LeanplumMultiFastPath"/> read it.</summary>
public sealed record LeanplumPlainMulti(string AppId, string ClientKey, double? BatchTime, IReadOnlyList<LeanplumPlainTrack> Items)
{
    /// <summary>Distinct users of the call (the user id as sent, else the device id), as Leanplum's per-call limit counts them.</summary>
    public int DistinctUsers()
    {
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in Items)
        {
            if ((item.UserId ?? item.DeviceId) is { Length: > 0 } id) users.Add(id);
        }

        return users.Count;
    }
}
