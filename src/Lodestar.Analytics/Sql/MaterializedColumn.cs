using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Sql;

/// <summary>
/// A property's materialized column on <c>events</c>: for the app's events with <c>seq</c> ≤ <paramref name="FilledTo"/>
/// it holds an INTEGER id into <see cref="ValuesTable"/>, whose text is the property's text (what the dialect's JSON
/// extraction gives); above that the JSON is read. <see cref="DuckDbDialect.EventsTable"/> shows the text in the
/// column's place unless <see cref="KeyOnly"/>.
/// </summary>
public sealed record MaterializedColumn(string Column, long FilledTo)
{
    /// <summary>The table of the column's texts, <c>(id, v)</c>.</summary>
    public string ValuesTable => DuckDbEventStore.ValuesTableOf(Column);

    /// <summary>The column holding a row's text when it has no id yet (above the watermark) in a <see cref="KeyOnly"/> read.</summary>
    public string JsonColumn => Column + "_json";

    /// <summary>
    /// Read only as a grouping key: <see cref="DuckDbDialect.EventsTable"/> leaves the id in the column (NULL above the
    /// watermark) and gives the JSON text above the watermark in <see cref="JsonColumn"/> (NULL below), so a query
    /// groups by both and maps ids to texts after the aggregation. <see cref="DuckDbDialect.PropertyText"/> cannot read it.
    /// </summary>
    public bool KeyOnly { get; init; }
}
