namespace Lodestar.Core.Experiments;

/// <summary>Where an A/B test is in its life.</summary>
public enum AbTestStatus
{
    /// <summary>Saved, not published: nobody is assigned and nobody sees it.</summary>
    Draft,

    /// <summary>Assigns persons in its audience and serves each their variant.</summary>
    Running,

    /// <summary>Keeps assignments but serves everyone the control (Leanplum: "served the control group's experience").</summary>
    Paused,

    /// <summary>Over: the winning variant's values go to everyone; no more assignments or exposures.</summary>
    Finished,
}

/// <summary>One arm of an A/B test: the first is the control.</summary>
/// <param name="Id">A number, as the SDKs read variant ids (<c>variants: [{"id": n}]</c>).</param>
/// <param name="ValuesJson">The variables this arm overrides, a partial tree (JSON object text).</param>
public sealed record AbTestVariant(long Id, string Name, double Weight, string ValuesJson);

/// <summary>An A/B test on variables, as the management API defines it.</summary>
/// <param name="Seed">Fixed at creation: assignment depends only on it and the canonical person id.</param>
/// <param name="StartedAt">When it first ran; among tests that set the same variable, the earliest started wins.</param>
public sealed record AbTest(
    string Id,
    string AppId,
    string Name,
    string Seed,
    string? SegmentId,
    double TrafficPercent,
    AbTestStatus Status,
    IReadOnlyList<AbTestVariant> Variants,
    long? WinnerVariantId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt)
{
    /// <summary>Leanplum's limit: a control and up to 15 variants.</summary>
    public const int MaxArms = 16;

    public AbTestVariant? Variant(long id) => Variants.FirstOrDefault(v => v.Id == id);
}
