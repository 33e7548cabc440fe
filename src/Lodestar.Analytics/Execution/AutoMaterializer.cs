using System.Collections.Concurrent;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// Materializes the event properties that queries keep breaking down or filtering by: after
/// <see cref="AnalyticsOptions.AutoMaterializeAfter"/> uses of a property of an app (0 switches this off), the property
/// gets its column, up to <see cref="AnalyticsOptions.MaxMaterializedPerApp"/> per app. Uses are counted in memory
/// since the start; the materialization itself is stored.
/// </summary>
public sealed partial class AutoMaterializer(DuckDbEventStore store, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<AutoMaterializer> logger)
{
    private readonly ConcurrentDictionary<(string App, string Property), int> _uses = new();

    /// <summary>Counts one query's use of these JSON properties; starts materializing those that reached the threshold.</summary>
    /// <param name="materialized">The app's properties that are materialized already (skipped).</param>
    public void Used(string appId, IEnumerable<string> properties, IReadOnlyCollection<string> materialized)
    {
        int after = options.Value.AutoMaterializeAfter;
        if (after <= 0) return;
        foreach (string property in properties.Distinct(StringComparer.Ordinal))
        {
            if (materialized.Contains(property) || !MaterializableName(property)) continue;
            if (_uses.AddOrUpdate((appId, property), 1, (_, n) => n + 1) != after) continue;
            if (materialized.Count >= options.Value.MaxMaterializedPerApp) continue;
            // Adding a column waits for the writer; the query does not.
            _ = Task.Run(() => Materialize(appId, property));
        }
    }

    /// <summary>Whether a property name can be materialized (its JSON path must be valid: no quote, backslash or control character).</summary>
    public static bool MaterializableName(string property) =>
        property.Length is > 0 and <= 255 && !property.Any(c => c is '"' or '\\' || char.IsControl(c));

    private void Materialize(string appId, string property)
    {
        try
        {
            var (_, created) = store.Materialize(appId, property, auto: true, time.GetUtcNow());
            if (created) LogMaterialized(logger, property, appId, options.Value.AutoMaterializeAfter);
        }
        catch (Exception ex) when (ex is DuckDB.NET.Data.DuckDBException or InvalidOperationException)
        {
            LogFailed(logger, ex, property, appId);
        }
    }

    [LoggerMessage(4010, LogLevel.Information, "Materializing event property {Property} of app {AppId}: queries used it {Uses} times")]
    private static partial void LogMaterialized(ILogger logger, string property, string appId, int uses);

    [LoggerMessage(4011, LogLevel.Warning, "Could not materialize event property {Property} of app {AppId}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string property, string appId);
}
