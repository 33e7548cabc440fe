namespace Lodestar.Core.Apps;

/// <summary>An app tracked by Lodestar, with its keys.</summary>
public sealed record App(string Id, string Name, AppKeys Keys, DateTimeOffset CreatedAt);

/// <summary>
/// The app's keys, after Leanplum's kinds: production (tracking), development (dev mode, content upload,
/// deletes), export (data export), plus a Segment write key.
/// </summary>
public sealed record AppKeys(string Production, string Development, string Export, string SegmentWriteKey)
{
    public KeyKind? KindOf(string key) =>
        key == Production ? KeyKind.Production
        : key == Development ? KeyKind.Development
        : key == Export ? KeyKind.Export
        : key == SegmentWriteKey ? KeyKind.SegmentWriteKey
        : null;
}

public enum KeyKind
{
    Production,
    Development,
    Export,
    SegmentWriteKey,
}
