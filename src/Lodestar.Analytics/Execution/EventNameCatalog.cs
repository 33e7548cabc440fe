using System.Collections.Concurrent;
using Lodestar.Analytics.Sql;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// The event names each app has used (user events), cached per app and topped up on every use with the names of the
/// events stored after the last <c>seq</c> seen (zone maps on <c>seq</c> make that a small read). Paths number the names
/// by their place in this list. The list may miss a name stored meanwhile (or one whose append committed out of
/// <c>seq</c> order): readers must treat a name missing from it as unknown, never as absent.
/// </summary>
public sealed class EventNameCatalog
{
    private readonly ConcurrentDictionary<string, Entry> _apps = new(StringComparer.Ordinal);

    /// <summary>The app's names in a stable order (first seen first), or null when there are more than <paramref name="limit"/>.</summary>
    public IReadOnlyList<string>? Names(QuerySession session, string appId, int limit)
    {
        ArgumentNullException.ThrowIfNull(session);
        var entry = _apps.GetValueOrDefault(appId) ?? new Entry(0, []);
        if (entry.Names.Count > limit) return null;
        var added = new List<(string Name, long Seq)>();
        long watermark = entry.Watermark;
        using (var reader = session.Execute(
            $"SELECT name, min(seq) FILTER (WHERE NOT internal), max(seq) FROM events WHERE app_id = {DuckDbDialect.Text(appId)} AND seq > {watermark} GROUP BY name"))
        {
            // Internal events move the watermark too (else every top-up would read them again), but name nothing.
            while (reader.Read())
            {
                if (!reader.IsDBNull(1)) added.Add((reader.GetString(0), reader.GetInt64(1)));
                watermark = Math.Max(watermark, reader.GetInt64(2));
            }
        }

        if (watermark > entry.Watermark)
        {
            var known = entry.Names.ToHashSet(StringComparer.Ordinal);
            var names = entry.Names.Concat(added.Where(a => !known.Contains(a.Name)).OrderBy(a => a.Seq).Select(a => a.Name)).ToList();
            var next = new Entry(watermark, names);
            // Concurrent top-ups: keep the one that has seen further (both lists are correct, only the newer is longer).
            _apps.AddOrUpdate(appId, next, (_, current) => current.Watermark >= next.Watermark ? current : next);
            entry = next;
        }

        return entry.Names.Count > limit ? null : entry.Names;
    }

    private sealed record Entry(long Watermark, IReadOnlyList<string> Names);
}
