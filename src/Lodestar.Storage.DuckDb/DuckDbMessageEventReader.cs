using System.Globalization;
using DuckDB.NET.Data;
using Lodestar.Core.Messages;

namespace Lodestar.Storage.DuckDb;

/// <summary>
/// Message impressions and actions from the event store. The Leanplum mapper stores a <c>track</c> with
/// <c>messageId</c> as the event <c>$message:&lt;event&gt;</c> (<c>$message:View</c> for an impression) with the
/// id in the property <c>$messageId</c>.
/// </summary>
public sealed class DuckDbMessageEventReader(DuckDbEventStore store) : IMessageEventReader
{
    private const string Prefix = "$message:";
    private const string MessageIdOf = "json_extract_string(e.properties, '$.\"$messageId\"')";

    public (IReadOnlyList<MessageImpressionChange> Changes, long UpTo) ImpressionChangesAfter(long afterSequence, long upToSequence, int limit)
    {
        if (upToSequence <= afterSequence) return ([], afterSequence);
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        // The bounds are inlined (numbers, not text) so DuckDB prunes row groups by their seq min/max: only the
        // newest rows are read, however large the table.
        command.CommandText = $"""
            SELECT e.seq, e.app_id, e.person_id, CASE WHEN e.name = '{Prefix}View' THEN {MessageIdOf} END, e.merged_person_id
            FROM events e
            WHERE e.seq > {afterSequence.ToString(CultureInfo.InvariantCulture)} AND e.seq <= {upToSequence.ToString(CultureInfo.InvariantCulture)}
              AND (e.name = '{Prefix}View' OR (e.merged_person_id IS NOT NULL AND e.merged_person_id <> e.person_id))
            ORDER BY e.seq
            LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
            """;
        using var reader = command.ExecuteReader();
        var changes = new List<MessageImpressionChange>();
        long last = afterSequence;
        int rows = 0;
        while (reader.Read())
        {
            rows++;
            last = reader.GetInt64(0);
            string? messageId = reader.IsDBNull(3) ? null : reader.GetString(3);
            string? merged = reader.IsDBNull(4) ? null : reader.GetString(4);
            if (messageId is null && merged is null) continue;
            changes.Add(new MessageImpressionChange(reader.GetString(1), reader.GetString(2), messageId, merged));
        }

        // A full page may stop short of max: the next call goes on from its last row.
        return (changes, rows >= limit ? last : upToSequence);
    }

    public IReadOnlyList<MessageEventCount> Counts(string appId, IReadOnlyCollection<string> sdkMessageIds)
    {
        if (sdkMessageIds.Count == 0) return [];
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        // Persons as analytics count them: a merged-away id counts as the person it merged into.
        command.CommandText = $"""
            SELECT {MessageIdOf} AS message_id, substr(e.name, {Prefix.Length + 1}) AS event, count(*) AS events,
                   count(DISTINCT coalesce(o.person_key, e.person_key)) AS persons
            FROM events e LEFT JOIN {DuckDbEventStore.KeyOverrides} o ON o.old_key = e.person_key
            WHERE e.app_id = $1 AND starts_with(e.name, '{Prefix}') AND {MessageIdOf} IN ({Placeholders(2, sdkMessageIds.Count)})
            GROUP BY 1, 2
            ORDER BY 1, 2
            """;
        command.Parameters.Add(new DuckDBParameter(appId));
        foreach (string id in sdkMessageIds) command.Parameters.Add(new DuckDBParameter(id));
        using var reader = command.ExecuteReader();
        var rows = new List<MessageEventCount>();
        while (reader.Read())
        {
            rows.Add(new MessageEventCount(reader.GetString(0), reader.GetString(1),
                Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    private static string Placeholders(int first, int count) =>
        string.Join(", ", Enumerable.Range(first, count).Select(i => "$" + i.ToString(CultureInfo.InvariantCulture)));
}
