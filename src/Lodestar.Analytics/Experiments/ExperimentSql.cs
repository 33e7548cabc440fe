using System.Globalization;
using Lodestar.Analytics.Sql;

namespace Lodestar.Analytics.Experiments;

/// <summary>
/// The one aggregate query behind an A/B-test result: each person's first exposure, the metric per person, then per arm
/// the gbstats sums (users, sum, sum of squares, cross products). Only per-arm rows leave the database. It uses no
/// window functions (only <c>min</c>/<c>arg_min</c>, CASE and GROUP BY) so it can be written for ClickHouse as well.
/// Columns: variant, variant_name, users, main_sum, main_ss, den_sum, den_ss, main_den, cov_sum, cov_ss, main_cov.
/// </summary>
public static class ExperimentSql
{
    /// <summary>The most day ends a daily (cumulative) result has; later days are left off.</summary>
    public const int MaxDays = 400;

    /// <param name="daily">
    /// When true, one set of arm rows per UTC day end (first column <c>day_end</c>), from the first exposure's day to the
    /// day of the last exposure or metric event: the result as it stood at that moment (exposures and events before it).
    /// </param>
    /// <param name="breakdown">
    /// When true (needs <see cref="ExperimentMetricQuery.BreakdownProperty"/>; not with <paramref name="daily"/>), the first
    /// column is <c>bvalue</c>: the property of the person's first exposure (missing → "(none)", beyond the 25 values with
    /// the most exposed persons → "other"); rows with a NULL <c>bvalue</c> are the overall arms (GROUPING SETS).
    /// </param>
    public static string Aggregate(SqlScope scope, ExperimentMetricQuery query, bool daily = false, bool breakdown = false)
    {
        if (breakdown && (daily || query?.BreakdownProperty is null))
            throw new ArgumentException("A breakdown needs a breakdown property and cannot be daily.", nameof(breakdown));
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(query);
        // Persons by integer key (a merged-away key resolved to the survivor's); no person id leaves the statement.
        string pid = scope.HasOverrides ? "coalesce(o.person_key, e.person_key)" : "e.person_key";
        string from = scope.HasOverrides
            ? $"FROM {DuckDbDialect.EventsTable(scope)} e LEFT JOIN person_key_overrides o ON o.old_key = e.person_key"
            : $"FROM {DuckDbDialect.EventsTable(scope)} e";
        string app = $"e.app_id = {Text(scope.AppId)} AND NOT e.internal";
        string Prop(string name) => DuckDbDialect.PropertyText(scope, "e", name);

        string post = "ev.time >= x.t0" + (query.WindowSeconds is { } w ? $" AND ev.time < x.t0 + {Seconds(w)}" : "");
        string pre = query.PreWindowSeconds is { } p ? $"ev.time >= x.t0 - {Seconds(p)} AND ev.time < x.t0" : "false";
        string isEvent = query.Event is { } name ? $"ev.name = {Text(name)}" : "true";

        string main, covariate = "0", denominator = "0", eventNames, join;
        switch (query.Metric)
        {
            case ExperimentMetricType.Conversion:
                main = $"max(CASE WHEN {isEvent} AND {post} THEN 1 ELSE 0 END)";
                covariate = $"max(CASE WHEN {isEvent} AND {pre} THEN 1 ELSE 0 END)";
                break;
            case ExperimentMetricType.Count:
                main = $"sum(CASE WHEN {isEvent} AND {post} THEN 1 ELSE 0 END)";
                covariate = $"sum(CASE WHEN {isEvent} AND {pre} THEN 1 ELSE 0 END)";
                break;
            case ExperimentMetricType.Sum:
                main = $"sum(CASE WHEN {isEvent} AND {post} THEN coalesce(ev.num, 0) ELSE 0 END)";
                covariate = $"sum(CASE WHEN {isEvent} AND {pre} THEN coalesce(ev.num, 0) ELSE 0 END)";
                break;
            case ExperimentMetricType.Retention:
                string start = $"x.t0 + {Seconds(query.Day * 86_400L)}", end = $"x.t0 + {Seconds((query.Day + 1) * 86_400L)}";
                main = $"max(CASE WHEN {isEvent} AND ev.time >= {start} AND ev.time < {end} THEN 1 ELSE 0 END)";
                break;
            default:
                main = query.Property is null
                    ? $"sum(CASE WHEN {isEvent} AND {post} THEN 1 ELSE 0 END)"
                    : $"sum(CASE WHEN {isEvent} AND {post} THEN coalesce(ev.num, 0) ELSE 0 END)";
                denominator = $"sum(CASE WHEN ev.name = {Text(query.DenominatorEvent!)} AND {post} THEN 1 ELSE 0 END)";
                break;
        }

        // Only the events the metric reads are joined, and only around each person's exposure.
        var names = new[] { query.Event, query.DenominatorEvent }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        eventNames = names.Count > 0
            ? $"e.name IN ({string.Join(", ", names.Select(Text))})"
            : $"e.name <> {Text(ExperimentMetricQuery.ExposureEvent)}";
        join = query.Metric == ExperimentMetricType.Retention
            ? "ev.time >= x.t0"
            : query.PreWindowSeconds is { } pw ? $"ev.time >= x.t0 - {Seconds(pw)}" : "ev.time >= x.t0";
        string number = query.Property is null or "value" ? "e.value" : $"TRY_CAST({Prop(query.Property)} AS DOUBLE)";

        string asOf = daily ? " AND ev.time < x.day_end" : "";
        string dayColumn = daily ? "x.day_end AS day_end, " : "";
        string dayKey = daily ? "day_end, " : "";
        string bExposure = breakdown
            ? $",\n                       arg_min(coalesce({Prop(query.BreakdownProperty!)}, {Text(ExperimentMetricQuery.NoneValue)}), e.time) AS bvalue"
            : "";
        string bTop = breakdown
            ? $"""
              top_values AS (
                  SELECT bvalue FROM exposure GROUP BY bvalue
                  ORDER BY count(*) DESC, bvalue LIMIT {ExperimentMetricQuery.MaxBreakdownValues}
              ),
              """
            : "";
        string bColumn = breakdown
            ? $"CASE WHEN x.bvalue IN (SELECT bvalue FROM top_values) THEN x.bvalue ELSE {Text(ExperimentMetricQuery.OtherValue)} END AS bvalue, "
            : "";
        string bSelect = breakdown ? "bvalue, " : "";
        string groupBy = breakdown ? "GROUPING SETS ((variant), (bvalue, variant))" : $"{dayKey}variant";
        string orderBy = breakdown ? "bvalue NULLS FIRST, variant" : $"{dayKey}variant";
        string exposed = daily
            ? $"""
              (SELECT x.*, d.day_end FROM exposure x JOIN (
                  SELECT unnest(generate_series(first_day, least(last_day, first_day + INTERVAL {MaxDays - 1} DAY), INTERVAL 1 DAY)) + INTERVAL 1 DAY AS day_end
                  FROM (SELECT date_trunc('day', min(t0)) AS first_day,
                               date_trunc('day', greatest(max(t0), coalesce((SELECT max(time) FROM ev), max(t0)))) AS last_day
                        FROM exposure)) d ON x.t0 < d.day_end)
              """
            : "exposure";

        return $"""
            WITH exposure AS (
                SELECT {pid} AS pid, min(e.time) AS t0,
                       arg_min({Prop("variantId")}, e.time) AS variant,
                       arg_min({Prop("variantName")}, e.time) AS variant_name{bExposure}
                {from}
                WHERE {app} AND e.name = {Text(ExperimentMetricQuery.ExposureEvent)}
                  AND {Prop("testId")} = {Text(query.TestId)} AND {Prop("variantId")} IS NOT NULL
                GROUP BY {pid}
            ),
            ev AS (
                SELECT {pid} AS pid, e.name AS name, e.time AS time, {number} AS num
                {from}
                WHERE {app} AND {eventNames}
            ),
            {bTop}per_person AS (
                SELECT {dayColumn}{bColumn}x.variant AS variant, x.variant_name AS variant_name,
                       CAST({main} AS DOUBLE) AS m, CAST({denominator} AS DOUBLE) AS d, CAST({covariate} AS DOUBLE) AS c
                FROM {exposed} x LEFT JOIN ev ON ev.pid = x.pid AND {join}{asOf}
                GROUP BY {(daily ? "x.day_end, " : "")}x.pid, x.variant, x.variant_name{(breakdown ? ", x.bvalue" : "")}
            )
            SELECT {dayKey}{bSelect}variant, min(variant_name) AS variant_name, CAST(count(*) AS DOUBLE) AS users,
                   sum(m) AS main_sum, sum(m * m) AS main_ss, sum(d) AS den_sum, sum(d * d) AS den_ss, sum(m * d) AS main_den,
                   sum(c) AS cov_sum, sum(c * c) AS cov_ss, sum(m * c) AS main_cov
            FROM per_person
            GROUP BY {groupBy}
            ORDER BY {orderBy}
            """;
    }

    private static string Text(string value) => DuckDbDialect.Text(value);

    private static string Seconds(long seconds) => $"to_seconds({seconds.ToString(CultureInfo.InvariantCulture)})";
}
