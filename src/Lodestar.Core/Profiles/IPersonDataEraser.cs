namespace Lodestar.Core.Profiles;

/// <summary>
/// Erases what one store keeps about a person, when the person is erased (Leanplum <c>deleteUser</c>). Every
/// store keyed by person registers one; the erase path calls them all.
/// </summary>
/// <remarks>
/// Called on the ingestion writer, so no event of the person can be stored meanwhile, and before the person's
/// events and ids are removed: the person's ids (<c>IIdentityStore.IdsOf</c>) and events still resolve to them, so an
/// eraser can find rows kept under a device id or under a person merged into this one. Must be idempotent (an erase
/// that failed half-way is retried whole).
/// </remarks>
public interface IPersonDataEraser
{
    ValueTask EraseAsync(string appId, string personId, CancellationToken cancellationToken);
}
