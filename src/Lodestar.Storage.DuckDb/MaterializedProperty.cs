namespace Lodestar.Storage.DuckDb;

/// <summary>
/// An event property of one app copied into a column of <c>events</c>: <see cref="Column"/> holds an INTEGER id whose
/// text in <see cref="DuckDbEventStore.ValuesTableOf"/> is exactly what <c>json_extract_string(properties, '$."property"')</c>
/// gives (NULL for NULL), for that app's events with <c>seq</c> ≤ <see cref="FilledTo"/> (the watermark; above it readers
/// extract from the JSON as before).
/// </summary>
/// <param name="Auto">Materialized automatically because queries kept using the property (not through the API).</param>
public sealed record MaterializedProperty(string AppId, string Property, string Column, long FilledTo, bool Auto, DateTimeOffset CreatedAt);
