namespace Lodestar.Analytics.Segments;

/// <summary>
/// The mirror tables batch evaluation reads besides the event store: <see cref="Persons"/>
/// <c>(pid, uid, sessions)</c>, one row per profile (uid is the id to show: user id, else an anonymous id), and
/// <see cref="Values"/> <c>(pid, name, item, kind, s, n, b, ts)</c>, one row per set attribute (technology fields as
/// <c>$technology.os</c> …, and <c>$firstSeen</c> / <c>$lastActive</c>), plus one <c>item</c> row per element of a list,
/// classified by <see cref="Lodestar.Core.Segments.SegmentValue"/> (<c>ts</c>: the date a string holds). The app
/// version also has a <see cref="AppVersionKey"/> row whose <c>s</c> is its <see cref="Lodestar.Core.Segments.AppVersionOrder"/> key.
/// </summary>
public sealed record SegmentTables(string Persons, string Values)
{
    public const string TechnologyPrefix = "$technology.";

    /// <summary>The name of the rows holding the app version's sortable key.</summary>
    public const string AppVersionKey = "$technology.appVersion#order";
}
