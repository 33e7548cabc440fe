namespace Lodestar.Core.Identity;

/// <summary>
/// Moves what one store keeps about a person to the person they merged into at login (an anonymous device's person
/// merged into a known user's), so reads under the surviving person see it.
/// </summary>
/// <remarks>
/// Called on the ingestion writer right after the merge is saved to the identity store and before the events that
/// carry it are acknowledged, so a request made after the login's answer already sees the moved state.
/// Stores that fold merges from the event stream themselves (impression counts) need none.
/// </remarks>
public interface IPersonDataMerger
{
    void Merge(string appId, string fromPersonId, string toPersonId);
}
