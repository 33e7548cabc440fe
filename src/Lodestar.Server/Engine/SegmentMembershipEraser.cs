using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Lodestar.Engine.Segments;

namespace Lodestar.Server.Engine;

/// <summary>
/// Erasing a person ends their grain's state (without recording exits: the person is gone, not leaving) and deletes
/// their memberships, history and timers.
/// </summary>
public sealed class SegmentMembershipEraser(IGrainFactory grains, ISegmentMembershipStore store) : IPersonDataEraser
{
    public async ValueTask EraseAsync(string appId, string personId, CancellationToken cancellationToken)
    {
        // The grain forgets its kept events and memberships; the transitions it answers are dropped on purpose.
        await grains.GetGrain<IPersonSegmentsGrain>(PersonKey.Of(appId, personId)).EndAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        store.Erase(appId, personId);
    }
}
