namespace Lodestar.Engine.Ingestion;

/// <summary>The stores could not take the events; the client should retry (HTTP 503).</summary>
public sealed class IngestionUnavailableException(string message, Exception inner) : Exception(message, inner);
