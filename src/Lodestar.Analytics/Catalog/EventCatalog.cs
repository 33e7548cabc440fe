using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Profiles;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Catalog;

public sealed record EventSummary(string Name, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>A property or attribute seen in the data: its most common type and a few example values.</summary>
public sealed record FieldSummary(string Name, string Type, long Seen, IReadOnlyList<string> Examples);

/// <summary>What the app has sent: event names with counts, and the properties and attributes they carry.</summary>
public sealed class EventCatalog(DuckDbQueryRunner runner, IProfileAttributeReader attributes, IOptions<AnalyticsOptions> options)
{
    public const int SampleSize = 10_000;
    private const int MaxExamples = 5;

    public Task<IReadOnlyList<EventSummary>> EventsAsync(string appId, CancellationToken cancellationToken) =>
        runner.RunAsync<IReadOnlyList<EventSummary>>(appId, [], options.Value.QueryTimeout, (session, _) =>
        {
            var list = new List<EventSummary>();
            using var reader = session.Execute($"""
                SELECT name, count(*), min(time), max(time) FROM events
                WHERE app_id = {DuckDbDialect.Text(appId)} AND NOT internal GROUP BY name ORDER BY count(*) DESC, name
                """);
            while (reader.Read())
            {
                list.Add(new EventSummary(reader.GetString(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                    Utc(reader.GetDateTime(2)), Utc(reader.GetDateTime(3))));
            }

            return list;
        }, cancellationToken);

    /// <summary>The properties of the event's newest <see cref="SampleSize"/> occurrences.</summary>
    public Task<IReadOnlyList<FieldSummary>> PropertiesAsync(string appId, string eventName, CancellationToken cancellationToken) =>
        runner.RunAsync(appId, [], options.Value.QueryTimeout, (session, _) =>
        {
            var objects = new List<JsonObject>();
            using var reader = session.Execute($"""
                SELECT properties FROM events
                WHERE app_id = {DuckDbDialect.Text(appId)} AND name = {DuckDbDialect.Text(eventName)} AND NOT internal AND properties IS NOT NULL
                ORDER BY seq DESC LIMIT {SampleSize}
                """);
            while (reader.Read())
            {
                if (JsonNode.Parse(reader.GetString(0)) is JsonObject o) objects.Add(o);
            }

            return Summarise(objects);
        }, cancellationToken);

    /// <summary>The attributes of up to <see cref="SampleSize"/> persons.</summary>
    public IReadOnlyList<FieldSummary> Attributes(string appId) => Summarise(attributes.Sample(appId, SampleSize));

    public static IReadOnlyList<FieldSummary> Summarise(IEnumerable<JsonObject> objects)
    {
        var fields = new Dictionary<string, (Dictionary<string, long> Types, long Seen, List<string> Examples)>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            foreach (var (name, value) in o)
            {
                if (value is null) continue;
                if (!fields.TryGetValue(name, out var field)) fields[name] = field = (new Dictionary<string, long>(), 0, []);
                string type = ProfileProjection.AttributeType(value);
                field.Types[type] = field.Types.GetValueOrDefault(type) + 1;
                string example = DuckDbQueryRunner.AsText(value) ?? "";
                if (field.Examples.Count < MaxExamples && example.Length <= 200 && !field.Examples.Contains(example)) field.Examples.Add(example);
                fields[name] = (field.Types, field.Seen + 1, field.Examples);
            }
        }

        return fields
            .Select(f => new FieldSummary(f.Key, f.Value.Types.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key, f.Value.Seen, f.Value.Examples))
            .OrderByDescending(f => f.Seen).ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
