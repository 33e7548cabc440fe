namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Where one logged commit's payload lies in the log (<see cref="Lodestar.Core.Events.EventLogCodec"/>'s form), for the
/// event store to read back with <see cref="EventLog.Read"/>. Events wait for the store for hundreds of milliseconds,
/// and for seconds while DuckDB checkpoints: held as objects they outlived the young generations, so collections
/// copied them; held as a copy of their bytes they took 100 MB and more at a checkpoint. Read back from the log they
/// come from the OS's page cache, and the store appends their texts as they are.
/// </summary>
public sealed record LoggedRecord(string Path, long Offset, int Length, int Count, long LastSequence);
