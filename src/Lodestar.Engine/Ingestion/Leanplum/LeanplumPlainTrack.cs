namespace Lodestar.Engine.Ingestion.Leanplum;

/// <summary>
/// One <c>track</c> item of a plain <c>multi</c> call, its fields read straight from the request, the ones an item
/// inherits from the outer call already filled in. <see cref="LeanplumEventMapper.MapPlain"/> turns it into events.
/// </summary>
public sealed class LeanplumPlainTrack
{
    public required string Event { get; init; }

    /// <summary>The event's <c>params</c> already flattened to the properties text (null when none).</summary>
    public string? PropertiesJson { get; init; }

    public double? Value { get; init; }

    public string? DeviceId { get; init; }

    /// <summary>The user id as sent (the mapper makes a user id equal to the device id anonymous).</summary>
    public string? UserId { get; init; }

    /// <summary>The item's <c>time</c> (or the call's), seconds since the epoch.</summary>
    public double? Time { get; init; }

    public string? RequestId { get; init; }

    public string? BatchId { get; init; }

    public bool? DevMode { get; init; }

    public string? Client { get; init; }

    public string? VersionName { get; init; }

    public string? SdkVersion { get; init; }
}
