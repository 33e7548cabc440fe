using System.Globalization;
using System.Text;
using Lodestar.Analytics.Sql;
using Lodestar.Core.Segments;
using Lodestar.Storage.DuckDb;

namespace Lodestar.Analytics.Segments;

/// <summary>
/// Compiles segment criteria to one DuckDB statement that selects the matching persons, <c>(pid, uid)</c>, from the
/// mirror of the profiles and the event store. Its meaning is <see cref="SegmentEvaluator"/>'s, leaf by leaf:
/// behavioral conditions become filtered aggregates of one pass over the events they name (merged persons counted
/// once through <c>person_overrides</c>), sequences an anti-join, attributes and technology semi-joins on the mirror.
/// </summary>
public sealed class SegmentSqlCompiler
{
    private const int MaxDepth = 64;
    private const string NumericJson = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')";

    private readonly Func<string, SegmentCondition?>? _segments;
    private readonly DateTimeOffset _now;
    private readonly SegmentTables _tables;
    private readonly SqlScope _scope;
    /// <summary>Per behavioral leaf: its partial aggregates per stored person id, and how they combine per canonical person.</summary>
    private readonly List<(string Partial, string Combine)> _aggregates = [];
    private readonly List<string> _sequences = [];
    private readonly SortedSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The earliest event time any behavioral leaf looks at; null once one looks at the whole history.</summary>
    private DateTimeOffset? _earliest = DateTimeOffset.MaxValue;

    private SegmentSqlCompiler(Func<string, SegmentCondition?>? segments, DateTimeOffset now, SegmentTables tables, SqlScope scope)
    {
        _segments = segments;
        _now = now;
        _tables = tables;
        _scope = scope;
    }

    /// <summary>The statement selecting <c>(pid, uid)</c> of every person matching the criteria at <paramref name="now"/>.</summary>
    public static string Members(SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now, SegmentTables tables, SqlScope scope)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(scope);
        var compiler = new SegmentSqlCompiler(segments, now, tables, scope);
        string where = compiler.Condition(criteria, 0);
        return compiler.Statement(where);
    }

    private string Statement(string where)
    {
        var sql = new StringBuilder();
        var ctes = new List<string>();
        if (_names.Count > 0)
        {
            // Events are aggregated per stored person key first and only then mapped through the key overrides and
            // to person ids: those joins then run on one row per person instead of one per event.
            ctes.Add($"""
                raw AS (
                    SELECT e.person_key AS sid, e.name, e.time, e.value, e.properties
                    FROM events e
                    WHERE e.app_id = {DuckDbDialect.Text(_scope.AppId)} AND NOT e.internal AND e.time <= {Timestamp(_now)}{(_earliest is { } earliest ? $" AND e.time >= {Timestamp(earliest)}" : "")}
                      AND e.name IN ({string.Join(", ", _names.Select(DuckDbDialect.Text))})
                )
                """);
        }

        string join = _scope.HasOverrides ? " LEFT JOIN person_key_overrides o ON o.old_key = r.sid" : "";
        string person = _scope.HasOverrides ? "coalesce(o.person_key, r.sid)" : "r.sid";
        if (_aggregates.Count > 0)
        {
            ctes.Add($"partial AS (SELECT sid, {string.Join(", ", _aggregates.Select(a => a.Partial))} FROM raw ev GROUP BY sid)");
            ctes.Add($"agg_k AS (SELECT {person} AS k, {string.Join(", ", _aggregates.Select(a => a.Combine))} FROM partial r{join} GROUP BY 1)");
            ctes.Add("agg AS (SELECT pp.person_id AS pid, agg_k.* EXCLUDE (k) FROM agg_k JOIN persons pp ON pp.person_key = agg_k.k)");
        }

        if (_sequences.Count > 0) ctes.Add($"ev AS (SELECT {person} AS pid, r.name, r.time, r.value, r.properties FROM raw r{join})");
        ctes.AddRange(_sequences);
        if (ctes.Count > 0) sql.Append("WITH ").AppendJoin(",\n", ctes).Append('\n');
        sql.Append($"SELECT p.pid, p.uid FROM {_tables.Persons} p");
        if (_aggregates.Count > 0) sql.Append(" LEFT JOIN agg a ON a.pid = p.pid");
        sql.Append($"\nWHERE {where}");
        return sql.ToString();
    }

    private string Condition(SegmentCondition condition, int depth)
    {
        switch (condition)
        {
            case AllCondition all: return "(" + string.Join(" AND ", all.Conditions.Select(c => Condition(c, depth + 1))) + ")";
            case AnyCondition any: return "(" + string.Join(" OR ", any.Conditions.Select(c => Condition(c, depth + 1))) + ")";
            case NotCondition not: return "(NOT " + Condition(not.Condition, depth + 1) + ")";
            case AttributeCondition a: return Value(a.Attribute, a.Test);
            case TechnologyCondition t when t.Field == TechnologyField.AppVersion && AppVersionOrder.IsOrdering(t.Test.Op):
                // Keys compare as bytes in DuckDB exactly as AppVersionOrder compares them ordinally (they are ASCII).
                return Exists(SegmentTables.AppVersionKey, $"v.s {Comparison(t.Test.Op)} {DuckDbDialect.Text(AppVersionOrder.Key(t.Test.Operand.Text) ?? "")}");
            case TechnologyCondition t: return Value(SegmentTables.TechnologyPrefix + Camel(t.Field), t.Test);
            case SessionsCondition s: return $"(p.sessions {Comparison(s.Count.Op)} {s.Count.Value.ToString(CultureInfo.InvariantCulture)})";
            case EventCondition e: return Event(e);
            case SequenceCondition s: return Sequence(s);
            case SegmentMembershipCondition m:
                return depth < MaxDepth && _segments?.Invoke(m.SegmentId) is { } nested ? Condition(nested, depth + 1) : "false";
            case BucketCondition b:
                // bucket < p  ⇔  h / 2^32 < p  ⇔  h < p · 2^32: both sides exact in a double.
                return $"(CAST(('0x' || substr(md5(p.pid), 1, 8)) AS UBIGINT)::DOUBLE < {Number(b.Below * 4294967296.0)})";
            default:
                throw new ArgumentException($"Unknown segment condition {condition.GetType().Name}.", nameof(condition));
        }
    }

    private static string Camel(TechnologyField field)
    {
        string name = field.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    // ---- attributes and technology: rows of the values mirror ----

    /// <summary>Whether the person has a row named <paramref name="name"/> in the values mirror that passes <paramref name="predicate"/> (on <c>v</c>).</summary>
    private string Exists(string name, string predicate) =>
        $"(p.pid IN (SELECT v.pid FROM {_tables.Values} v WHERE v.name = {DuckDbDialect.Text(name)} AND {predicate}))";

    private string Value(string name, ValueTest test)
    {
        string Has(string predicate) => Exists(name, predicate);
        string Eq(SegmentValue operand) => operand.Kind switch
        {
            SegmentValueKind.String => $"v.kind = 'string' AND v.s = {DuckDbDialect.Text(operand.Text!)}",
            SegmentValueKind.Number => $"v.kind = 'number' AND v.n = {Number(operand.Number)}",
            SegmentValueKind.Boolean => $"v.kind = 'boolean' AND v.b = {(operand.Bool ? "true" : "false")}",
            _ => "false",
        };
        string AnyEq() => "(" + string.Join(" OR ", test.Items.Select(i => "(" + Eq(i) + ")")) + ")";

        return test.Op switch
        {
            ValueOperator.IsSet => Has("NOT v.item"),
            ValueOperator.IsNotSet => "(NOT " + Has("NOT v.item") + ")",
            ValueOperator.Eq => Has($"NOT v.item AND {Eq(test.Operand)}"),
            ValueOperator.Neq => "(NOT " + Has($"NOT v.item AND {Eq(test.Operand)}") + ")",
            ValueOperator.In => Has($"NOT v.item AND {AnyEq()}"),
            ValueOperator.NotIn => "(NOT " + Has($"NOT v.item AND {AnyEq()}") + ")",
            ValueOperator.Gt or ValueOperator.Gte or ValueOperator.Lt or ValueOperator.Lte =>
                Has($"NOT v.item AND v.kind = 'number' AND v.n {Comparison(test.Op)} {Number(test.Operand.Number)}"),
            ValueOperator.Contains => Has(test.Operand.Kind == SegmentValueKind.String
                ? $"((NOT v.item AND v.kind = 'string' AND contains(v.s, {DuckDbDialect.Text(test.Operand.Text!)})) OR (v.item AND {Eq(test.Operand)}))"
                : $"v.item AND {Eq(test.Operand)}"),
            _ => Has($"NOT v.item AND v.kind = 'string' AND v.ts IS NOT NULL AND {DateTest(test, "v.ts")}"),
        };
    }

    private string DateTest(ValueTest test, string column) => test.Op switch
    {
        ValueOperator.Within => $"{column} > {Timestamp(_now - test.Duration)} AND {column} <= {Timestamp(_now)}",
        ValueOperator.OlderThan => $"{column} <= {Timestamp(_now - test.Duration)}",
        ValueOperator.Before => $"{column} < {Timestamp(test.Instant)}",
        ValueOperator.After => $"{column} > {Timestamp(test.Instant)}",
        _ => throw new ArgumentException($"{test.Op} is not a date test.", nameof(test)),
    };

    // ---- behavioral conditions ----

    private string Event(EventCondition condition)
    {
        int k = _aggregates.Count;
        _names.Add(condition.Match.Event);
        string window = condition.Window switch
        {
            { Within: { } within } => $"ev.time > {Timestamp(_now - within)}",
            { From: { } from, To: { } to } => $"ev.time >= {Timestamp(from)} AND ev.time < {Timestamp(to)}",
            _ => "true",
        };
        // Every leaf keeps its own window; the scan only skips what no leaf can see.
        _earliest = condition.Window switch
        {
            { Within: { } w } when _earliest is { } e => e < _now - w ? e : _now - w,
            { From: { } f } when _earliest is { } e => e < f ? e : f,
            _ => null,
        };
        string match = $"{Match(condition.Match, "ev")} AND {window}";
        if (condition.Aggregate is { } aggregate)
        {
            string input = aggregate.Property == AggregateTest.EventValue ? "ev.value" : NumberOf("ev", aggregate.Property);
            string fn = aggregate.Function switch
            {
                AggregateFunction.Sum => "sum",
                AggregateFunction.Avg => "avg",
                AggregateFunction.Min => "min",
                _ => "max",
            };
            _aggregates.Add(aggregate.Function == AggregateFunction.Avg
                ? ($"sum({input}) FILTER (WHERE {match}) AS g{k}s, count({input}) FILTER (WHERE {match}) AS g{k}c",
                   $"CASE WHEN sum(g{k}c) > 0 THEN sum(g{k}s) / sum(g{k}c) END AS g{k}")
                : ($"{fn}({input}) FILTER (WHERE {match}) AS g{k}", $"{fn}(g{k}) AS g{k}"));
            return $"(a.g{k} IS NOT NULL AND a.g{k} {Comparison(aggregate.Op)} {Number(aggregate.Value)})";
        }

        if (condition.Occurrence is { } occurrence)
        {
            string fn = occurrence.First ? "min" : "max";
            _aggregates.Add(($"{fn}(ev.time) FILTER (WHERE {match}) AS g{k}", $"{fn}(g{k}) AS g{k}"));
            return $"(a.g{k} IS NOT NULL AND {DateTest(occurrence.Test, $"a.g{k}")})";
        }

        var count = condition.Count ?? new CountTest(ValueOperator.Gte, 1);
        _aggregates.Add(($"count(*) FILTER (WHERE {match}) AS g{k}", $"sum(g{k}) AS g{k}"));
        return $"(coalesce(a.g{k}, 0) {Comparison(count.Op)} {count.Value.ToString(CultureInfo.InvariantCulture)})";
    }

    private string Sequence(SequenceCondition condition)
    {
        int k = _sequences.Count;
        _names.Add(condition.Did.Event);
        _names.Add(condition.ThenNot.Event);
        _earliest = null;
        string within = $"to_microseconds({(condition.Within.Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture)})";
        _sequences.Add($"""
            q{k} AS (
                SELECT DISTINCT a.pid FROM ev a
                WHERE {Match(condition.Did, "a")} AND a.time <= {Timestamp(_now - condition.Within)}
                  AND NOT EXISTS (
                      SELECT 1 FROM ev b
                      WHERE b.pid = a.pid AND {Match(condition.ThenNot, "b")} AND b.time >= a.time AND b.time <= a.time + {within})
            )
            """);
        return $"(p.pid IN (SELECT pp.person_id FROM q{k} JOIN persons pp ON pp.person_key = q{k}.pid))";
    }

    private static string Match(EventMatch match, string alias)
    {
        var parts = new List<string> { $"{alias}.name = {DuckDbDialect.Text(match.Event)}" };
        parts.AddRange(match.Filters.Select(f => Property(alias, f)));
        return "(" + string.Join(" AND ", parts) + ")";
    }

    // ---- event properties, read from the JSON text ----

    private static string Path(string property) => DuckDbEventStore.PropertyPath(property);

    private static string NumberOf(string alias, string property) =>
        $"CASE WHEN json_type({alias}.properties, {Path(property)}) IN {NumericJson} THEN TRY_CAST(json_extract({alias}.properties, {Path(property)}) AS DOUBLE) END";

    private static string Property(string alias, PropertyFilter filter)
    {
        string props = alias + ".properties";
        string path = Path(filter.Property);
        string type = $"json_type({props}, {path})";
        string text = $"json_extract_string({props}, {path})";
        string number = $"TRY_CAST(json_extract({props}, {path}) AS DOUBLE)";
        string Eq(SegmentValue operand) => operand.Kind switch
        {
            SegmentValueKind.String => $"({type} = 'VARCHAR' AND {text} = {DuckDbDialect.Text(operand.Text!)})",
            SegmentValueKind.Number => $"({type} IN {NumericJson} AND {number} = {Number(operand.Number)})",
            SegmentValueKind.Boolean => $"({type} = 'BOOLEAN' AND {text} = '{(operand.Bool ? "true" : "false")}')",
            _ => "false",
        };
        string ItemEq(SegmentValue operand) => operand.Kind switch
        {
            SegmentValueKind.String => $"json_type(x) = 'VARCHAR' AND json_extract_string(x, '$') = {DuckDbDialect.Text(operand.Text!)}",
            SegmentValueKind.Number => $"json_type(x) IN {NumericJson} AND TRY_CAST(x AS DOUBLE) = {Number(operand.Number)}",
            SegmentValueKind.Boolean => $"json_type(x) = 'BOOLEAN' AND json_extract_string(x, '$') = '{(operand.Bool ? "true" : "false")}'",
            _ => "false",
        };
        var test = filter.Test;
        string positive = test.Op switch
        {
            ValueOperator.IsSet or ValueOperator.IsNotSet => $"({type} IS NOT NULL AND {type} <> 'NULL')",
            ValueOperator.Eq or ValueOperator.Neq => Eq(test.Operand),
            ValueOperator.In or ValueOperator.NotIn => "(" + string.Join(" OR ", test.Items.Select(Eq)) + ")",
            ValueOperator.Gt or ValueOperator.Gte or ValueOperator.Lt or ValueOperator.Lte =>
                $"({type} IN {NumericJson} AND {number} {Comparison(test.Op)} {Number(test.Operand.Number)})",
            ValueOperator.Contains =>
                "(" + (test.Operand.Kind == SegmentValueKind.String ? $"({type} = 'VARCHAR' AND contains({text}, {DuckDbDialect.Text(test.Operand.Text!)})) OR " : "") +
                $"({type} = 'ARRAY' AND len(list_filter(json_extract({props}, {DuckDbDialect.Text("$.\"" + filter.Property + "\"[*]")}), lambda x: {ItemEq(test.Operand)})) > 0))",
            _ => throw new ArgumentException($"{test.Op} does not apply to event properties.", nameof(filter)),
        };
        bool negated = test.Op is ValueOperator.Neq or ValueOperator.NotIn or ValueOperator.IsNotSet;
        return negated ? $"(NOT coalesce({positive}, false))" : $"coalesce({positive}, false)";
    }

    // ---- literals ----

    private static string Comparison(ValueOperator op) => op switch
    {
        ValueOperator.Eq => "=",
        ValueOperator.Neq => "<>",
        ValueOperator.Gt => ">",
        ValueOperator.Gte => ">=",
        ValueOperator.Lt => "<",
        ValueOperator.Lte => "<=",
        _ => throw new ArgumentException($"{op} is not a comparison.", nameof(op)),
    };

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture) + "::DOUBLE";

    /// <summary>A UTC instant as a TIMESTAMP literal (microseconds, as the event store keeps times).</summary>
    public static string Timestamp(DateTimeOffset instant) =>
        "TIMESTAMP '" + instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "'";
}
