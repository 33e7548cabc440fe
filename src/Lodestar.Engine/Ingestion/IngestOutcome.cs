namespace Lodestar.Engine.Ingestion;

/// <summary>What happened to one accepted message.</summary>
public enum IngestOutcome
{
    /// <summary>Stored durably.</summary>
    Stored,

    /// <summary>A resend of a message already stored; nothing new was written.</summary>
    Duplicate,
}
