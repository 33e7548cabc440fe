using System.ComponentModel.DataAnnotations;

namespace Lodestar.Server.Leanplum;

/// <summary>Limits of the Leanplum-compatible <c>/api</c> (section <c>Lodestar:Leanplum</c>).</summary>
public sealed class LeanplumOptions
{
    public const string Section = "Lodestar:Leanplum";

    /// <summary>Largest request body, in bytes, after decompression. Default 8 MB (500 actions with room to spare).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most actions in one <c>multi</c> call; more answer HTTP 403, as Leanplum does. Default 500.</summary>
    [Range(1, 100_000)]
    public int MaxActionsPerCall { get; set; } = 500;

    /// <summary>Most distinct users in one <c>multi</c> call; more answer HTTP 403, as Leanplum does. Default 50.</summary>
    [Range(1, 100_000)]
    public int MaxUsersPerCall { get; set; } = 50;

    /// <summary>Most events <c>exportUser</c> summarises per person. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxExportUserEvents { get; set; } = 10_000;
}
