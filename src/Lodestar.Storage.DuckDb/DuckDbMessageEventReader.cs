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

    public IReadOnlyDictionary<string, long> ImpressionsOf(string appId, string personId, IReadOnlyCollection<string> sdkMessageIds)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (sdkMessageIds.Count == 0) return counts;
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MessageIdOf} AS message_id, count(*) FROM events e
            WHERE e.app_id = $1 AND e.name = '{Prefix}View'
              AND e.person_id IN (SELECT $2 UNION ALL SELECT old_person_id FROM person_overrides WHERE app_id = $1 AND person_id = $2)
              AND {MessageIdOf} IN ({Placeholders(3, sdkMessageIds.Count)})
            GROUP BY 1
            """;
        command.Parameters.Add(new DuckDBParameter(appId));
        command.Parameters.Add(new DuckDBParameter(personId));
        foreach (string id in sdkMessageIds) command.Parameters.Add(new DuckDBParameter(id));
        using var reader = command.ExecuteReader();
        while (reader.Read()) counts[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        return counts;
    }

    public IReadOnlyList<MessageEventCount> Counts(string appId, IReadOnlyCollection<string> sdkMessageIds)
    {
        if (sdkMessageIds.Count == 0) return [];
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        // Persons as analytics count them: a merged-away id counts as the person it merged into.
        command.CommandText = $"""
            SELECT {MessageIdOf} AS message_id, substr(e.name, {Prefix.Length + 1}) AS event, count(*) AS events,
                   count(DISTINCT coalesce(o.person_id, e.person_id)) AS persons
            FROM events e LEFT JOIN person_overrides o ON o.app_id = e.app_id AND o.old_person_id = e.person_id
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
