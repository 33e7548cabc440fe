namespace Lodestar.Analytics.Sql;

/// <summary>
/// What a dialect needs besides the plan: the app, whether any merged persons exist (else the override join is
/// skipped), the tables holding the person attributes the query uses (name → table of <c>(pid, v)</c>), and the
/// event weights.
/// </summary>
public sealed record SqlScope(
    string AppId,
    bool HasOverrides,
    IReadOnlyDictionary<string, string> AttributeTables,
    IReadOnlyDictionary<string, double> Weights)
{
    /// <summary>A table of person ids <c>(pid)</c>: when set, only these persons' events count (a segment filter).</summary>
    public string? PersonFilter { get; init; }

    /// <summary>The app's materialized event properties (property name → column and watermark); empty when none.</summary>
    public IReadOnlyDictionary<string, MaterializedColumn> Materialized { get; init; } = new Dictionary<string, MaterializedColumn>();

    /// <summary>
    /// The app's event names as far as known (see <c>EventNameCatalog</c>), for statements that number names; null when
    /// not looked up or too many. A name missing from the list may still occur.
    /// </summary>
    public IReadOnlyList<string>? EventNames { get; init; }
}
