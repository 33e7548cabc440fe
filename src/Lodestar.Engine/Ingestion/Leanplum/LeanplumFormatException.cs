namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>A parameter of a Leanplum API call is missing or has the wrong shape; the message says which and how.</summary>
public sealed class LeanplumFormatException(string message) : Exception(message);
