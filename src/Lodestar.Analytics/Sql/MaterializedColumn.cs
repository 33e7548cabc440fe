namespace Lodestar.Analytics.Sql;

/// <summary>
/// A property's materialized column on <c>events</c>: it holds the property's text (what the dialect's JSON extraction
/// gives) for the app's events with <c>seq</c> ≤ <paramref name="FilledTo"/>; above that the JSON is read.
/// </summary>
public sealed record MaterializedColumn(string Column, long FilledTo);
