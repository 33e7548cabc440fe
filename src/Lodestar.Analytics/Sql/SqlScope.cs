namespace Lodestar.Analytics.Sql;

/// <summary>
/// What a dialect needs besides the plan: the app, whether any merged persons exist (else the override join is
/// skipped), the per-query table of person attributes and its columns, and the event weights.
/// </summary>
public sealed record SqlScope(
    string AppId,
    bool HasOverrides,
    string? AttributeTable,
    IReadOnlyDictionary<string, string> AttributeColumns,
    IReadOnlyDictionary<string, double> Weights);
