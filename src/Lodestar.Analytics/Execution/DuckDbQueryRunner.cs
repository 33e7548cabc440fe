using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Planning;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// Runs analytics statements on a connection of its own: brings the person attributes a query needs into a temporary
/// table, and interrupts the statement when it outlives the time limit or the caller gives up.
/// </summary>
public sealed class DuckDbQueryRunner(DuckDbEventStore store, IProfileAttributeReader attributes, IEventDefinitionStore definitions)
{
    public const string AttributeTable = "person_attrs";

    public async Task<T> RunAsync<T>(
        string appId, IEnumerable<FieldRef?> fields, TimeSpan timeout, Func<QuerySession, SqlScope, T> work, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        var token = linked.Token;
        token.ThrowIfCancellationRequested();
        try
        {
            return await Task.Run(() =>
            {
                using var connection = store.OpenConnection();
                var session = new QuerySession(connection, token);
                using var registration = token.Register(session.Cancel);
                try
                {
                    var scope = Prepare(session, appId, fields.OfType<FieldRef>().Where(f => f.IsAttribute).Select(f => f.Name).Distinct().ToList());
                    return work(session, scope);
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    throw new OperationCanceledException(token);
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new QueryTimeoutException(timeout);
        }
    }

    private SqlScope Prepare(QuerySession session, string appId, List<string> attributeNames)
    {
        bool overrides = session.Scalar($"SELECT EXISTS (SELECT 1 FROM person_overrides WHERE app_id = {DuckDbDialect.Text(appId)})") is true;

        var weights = definitions.List(appId).ToDictionary(d => d.Name, d => d.Weight, StringComparer.Ordinal);
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        if (attributeNames.Count == 0) return new SqlScope(appId, overrides, null, columns, weights);

        for (int i = 0; i < attributeNames.Count; i++) columns[attributeNames[i]] = "a" + i.ToString(CultureInfo.InvariantCulture);
        session.NonQuery($"CREATE OR REPLACE TEMP TABLE {AttributeTable} (pid VARCHAR, {string.Join(", ", columns.Values.Select(c => c + " VARCHAR"))})");
        using (var appender = session.Connection.CreateAppender(AttributeTable))
        {
            foreach (var (personId, values) in attributes.Read(appId, attributeNames))
            {
                var row = appender.CreateRow().AppendValue(personId);
                foreach (var value in values) row = row.AppendValue(AsText(value));
                row.EndRow();
            }
        }

        return new SqlScope(appId, overrides, AttributeTable, columns, weights);
    }

    /// <summary>The attribute as SQL compares it: strings unquoted, numbers and booleans as JSON text, lists as JSON.</summary>
    public static string? AsText(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        _ => value.ToJsonString(),
    };
}
