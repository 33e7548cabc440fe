using Lodestar.Analytics.Planning;

namespace Lodestar.Analytics.Sql;

/// <summary>
/// Translates plans into one SQL dialect. Each method documents the columns its statement returns; the engine reads
/// them the same way whatever the store, so a ClickHouse dialect gives the same answers as the DuckDB one.
/// </summary>
/// <remarks>
/// Everything here is expressible without window functions, as ClickHouse 18.16 requires: per-person "earliest
/// matching event after X" is a <c>min</c> over an event key (time, then arrival sequence, packed in one wide integer)
/// joined per person (<c>min</c>/<c>argMin</c> in ClickHouse); a person's first n events after an anchor are
/// <c>arg_min(x, key, n)</c> in DuckDB and <c>arraySlice(arraySort(groupArray(…)))</c> in ClickHouse; local-time periods
/// use an offset CASE built in C#, so no zone database is needed on the server. ClickHouse's <c>windowFunnel</c> is
/// not used for funnels because it takes the best chain from any step-1 event, not the first one in range.
/// </remarks>
public interface IAnalyticsDialect
{
    /// <summary>Columns: bucket (local TIMESTAMP), breakdown value (VARCHAR or NULL), is-other (BOOLEAN), value (DOUBLE).</summary>
    string Trend(TrendSeriesPlan series, TrendsPlan plan, TimeRange range, SqlScope scope);

    /// <summary>
    /// Columns: is-total-row (BOOLEAN), breakdown value, is-other, then per step k: persons, and for k ≥ 1 the median and
    /// mean seconds from step k−1.
    /// </summary>
    string FunnelSummary(FunnelPlan plan, SqlScope scope);

    /// <summary>Column: person id of those who reached step <paramref name="step"/> but not the next, ordered, after the cursor.</summary>
    string FunnelDropped(FunnelPlan plan, SqlScope scope, int step, string? breakdownValue, bool other, string? cursor, int limit);

    /// <summary>Column: seconds from entry to the last step, per converted person.</summary>
    string FunnelConversionTimes(FunnelPlan plan, SqlScope scope);

    /// <summary>Columns: kind ('size' or 'ret'), cohort bucket, breakdown value, return bucket (NULL for sizes), persons.</summary>
    string Retention(RetentionPlan plan, SqlScope scope);

    /// <summary>Columns: path (list of event names, anchor first for start paths, last for end paths), persons.</summary>
    string Paths(PathsPlan plan, SqlScope scope);

    /// <summary>
    /// The answer of <see cref="Paths"/> by a cheaper plan for most persons, or null where it does not apply. Columns: path,
    /// persons, whether the cheaper plan answered those persons (false: the exact plan, for the persons it could not).
    /// </summary>
    string? PathsByKeyLists(PathsPlan plan, SqlScope scope);

    /// <summary>Columns: kind ('cur' or 'dorm'), bucket, new, returning, resurrecting (dormant count in 'new' for 'dorm').</summary>
    string Lifecycle(LifecyclePlan plan, SqlScope scope, DateTimeOffset scanFrom);

    /// <summary>Column: the person's engagement score (sum of values, else weights, over their events).</summary>
    string EngagementScore(SqlScope scope, string personId);
}
