using Lodestar.Core.Events;
using Lodestar.Core.Sessions;

namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>
/// One Leanplum call as events. The last event is the call itself and carries its session changes; a
/// <c>start</c> with a user id is preceded by an internal login event so an anonymous device history merges.
/// </summary>
public sealed record LeanplumMappedItem(IReadOnlyList<IncomingEvent> Events, SessionActivity Activity, string? DeviceId, string? UserId);
