namespace Lodestar.Analytics.Planning;

/// <summary>
/// Periods (hour, day, week from Monday, month) on the wall clock of an IANA time zone. Buckets are identified by
/// their local start (a naive <see cref="DateTime"/>); SQL computes the same local start by adding the zone's UTC
/// offset, given as piecewise-constant <see cref="OffsetSegments"/>, so no time-zone database is needed in SQL.
/// </summary>
public sealed class LocalCalendar
{
    public LocalCalendar(TimeZoneInfo zone, Interval interval)
    {
        Zone = zone;
        Interval = interval;
    }

    public TimeZoneInfo Zone { get; }

    public Interval Interval { get; }

    public bool IsUtc => Zone.BaseUtcOffset == TimeSpan.Zero && !Zone.SupportsDaylightSavingTime;

    public DateTime ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone).DateTime;

    /// <summary>The local start of the period holding <paramref name="instant"/>.</summary>
    public DateTime BucketOf(DateTimeOffset instant) => Truncate(ToLocal(instant));

    public DateTime Truncate(DateTime local) => Interval switch
    {
        Interval.Hour => new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0),
        Interval.Day => local.Date,
        Interval.Week => local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
        _ => new DateTime(local.Year, local.Month, 1),
    };

    public DateTime Add(DateTime bucket, int periods) => Interval switch
    {
        Interval.Hour => bucket.AddHours(periods),
        Interval.Day => bucket.AddDays(periods),
        Interval.Week => bucket.AddDays(7 * periods),
        _ => bucket.AddMonths(periods),
    };

    /// <summary>Whole periods from bucket <paramref name="a"/> to bucket <paramref name="b"/>.</summary>
    public int PeriodsBetween(DateTime a, DateTime b) => Interval switch
    {
        Interval.Hour => (int)Math.Round((b - a).TotalHours),
        Interval.Day => (int)Math.Round((b - a).TotalDays),
        Interval.Week => (int)Math.Round((b - a).TotalDays / 7),
        _ => (b.Year - a.Year) * 12 + b.Month - a.Month,
    };

    /// <summary>Every bucket from the one holding <paramref name="from"/> to the one holding <paramref name="to"/>.</summary>
    public List<DateTime> Buckets(DateTimeOffset from, DateTimeOffset to, int limit)
    {
        var buckets = new List<DateTime>();
        var last = BucketOf(to);
        for (var b = BucketOf(from); b <= last; b = Add(b, 1))
        {
            // A local hour skipped by a DST jump holds no instant; leave it out.
            if (Interval == Interval.Hour && Zone.IsInvalidTime(b)) continue;
            buckets.Add(b);
            if (buckets.Count > limit) break;
        }

        return buckets;
    }

    /// <summary>How many buckets [from, to] spans, without listing them.</summary>
    public long CountBuckets(DateTimeOffset from, DateTimeOffset to)
    {
        var first = BucketOf(from);
        var last = BucketOf(to);
        return Interval switch
        {
            Interval.Hour when (to - from).TotalHours > 100_000 => (long)(to - from).TotalHours,
            Interval.Hour => Buckets(from, to, int.MaxValue).Count,
            _ => PeriodsBetween(first, last) + 1L,
        };
    }

    /// <summary>The instant a local bucket starts, with its offset (a start inside a DST gap moves to the gap's end).</summary>
    public DateTimeOffset Instant(DateTime localBucket)
    {
        var local = localBucket;
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    /// <summary>
    /// The zone's UTC offset as (from this UTC instant on, offset) pieces covering [from, to]; the first piece also
    /// covers everything before, the last everything after.
    /// </summary>
    public IReadOnlyList<(DateTime UtcStart, TimeSpan Offset)> OffsetSegments(DateTimeOffset from, DateTimeOffset to)
    {
        var start = from.UtcDateTime.AddDays(-2);
        var end = to.UtcDateTime.AddDays(2);
        var segments = new List<(DateTime, TimeSpan)> { (DateTime.MinValue, Offset(start)) };
        if (!Zone.SupportsDaylightSavingTime && Zone.GetAdjustmentRules().Length == 0) return segments;
        var previous = start;
        var offset = Offset(start);
        for (var t = start.AddHours(1); t <= end; t = t.AddHours(1))
        {
            var current = Offset(t);
            if (current != offset)
            {
                // Find the exact minute of the change between the two hourly samples.
                var lo = previous;
                var hi = t;
                while ((hi - lo) > TimeSpan.FromMinutes(1))
                {
                    var mid = lo + TimeSpan.FromTicks((hi - lo).Ticks / 2);
                    mid = new DateTime(mid.Ticks - mid.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
                    if (mid <= lo) break;
                    if (Offset(mid) == offset) lo = mid;
                    else hi = mid;
                }

                segments.Add((hi, current));
                offset = current;
            }

            previous = t;
        }

        return segments;
    }

    private TimeSpan Offset(DateTime utc) => Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
