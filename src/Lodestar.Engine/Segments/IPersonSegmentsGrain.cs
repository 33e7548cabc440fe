namespace Lodestar.Engine.Segments;

/// <summary>
/// The per-user engine's grain for one person (key: app id and canonical person id, see <see cref="PersonKey"/>):
/// keeps the compact state the app's segment criteria need and decides the person's memberships.
/// </summary>
public interface IPersonSegmentsGrain : IGrainWithStringKey
{
    /// <summary>Takes newly stored events and evaluates every segment of the app.</summary>
    Task<PersonUpdate> ApplyAsync(PersonEventBatch batch);

    /// <summary>
    /// Evaluates every segment again with no new event (a timer fell due, or the definitions changed).
    /// <paramref name="processedSequence"/> is the last event routed so far: a grain that has to load its state
    /// reads the person's events up to it.
    /// </summary>
    Task<PersonUpdate> ReevaluateAsync(long processedSequence);

    /// <summary>The person was merged into another: every membership ends, and the grain forgets its state.</summary>
    Task<PersonUpdate> EndAsync();
}
