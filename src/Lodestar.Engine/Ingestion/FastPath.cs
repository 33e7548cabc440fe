using System.Text.Json;

namespace Lodestar.Engine.Ingestion;

/// <summary>What the one-pass body readers (<c>SegmentBatchFastPath</c>, <c>LeanplumMultiFastPath</c>) share.</summary>
internal static class FastPath
{
    /// <summary>
    /// Whether an exception out of a one-pass reader means the body is not of a shape it reads (the caller then runs the
    /// full parser, which gives every rejection its message), rather than a fault to let through.
    /// </summary>
    public static bool GivesUp(Exception exception) => exception is JsonException or FormatException or InvalidOperationException;
}
