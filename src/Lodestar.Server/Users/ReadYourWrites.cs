using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Lodestar.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Users;

/// <summary>
/// Lets a read include everything already acknowledged to clients: events move from the durable log into
/// the event store, and into profiles, shortly after their answer; a read waits for that (bounded).
/// </summary>
public sealed class ReadYourWrites(IngestionPipeline pipeline, EventStoreApplier applier, ProfileProjector projector, IOptions<LodestarOptions> options)
{
    public Task EventsAsync(CancellationToken cancellationToken) =>
        applier.WaitForAsync(pipeline.CommittedSequence, options.Value.ProfileReadWait, cancellationToken);

    public Task ProfilesAsync(CancellationToken cancellationToken) =>
        projector.WaitForAsync(pipeline.CommittedSequence, options.Value.ProfileReadWait, cancellationToken);

    /// <summary>Profiles in the state store itself include every acknowledged event (for queries that read the store).</summary>
    public async Task ProfilesStoredAsync(CancellationToken cancellationToken)
    {
        await ProfilesAsync(cancellationToken).ConfigureAwait(false);
        await Task.Run(projector.CheckpointNow, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>For code running on the ingestion writer (no commit can happen meanwhile).</summary>
    public void EventsNow() => applier.WaitFor(pipeline.CommittedSequence, options.Value.ProfileReadWait);
}
