using Lodestar.Core.Events;

namespace Lodestar.Engine.Ingestion;

/// <summary>A consumer of durable events behind the ingestion writer (the per-user engine, for one).</summary>
public interface IStoredEventConsumer
{
    /// <summary>Takes events just made durable, in sequence order. Must not block the writer.</summary>
    void Enqueue(IReadOnlyList<StoredEvent> stored);

    /// <summary>The writer has stopped: no more events will come.</summary>
    void Complete();
}
