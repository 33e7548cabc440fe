using System.Globalization;
using System.Text.Json;
using Lodestar.Analytics.Queries;

namespace Lodestar.Analytics.Planning;

/// <summary>Validates queries and turns them into plans; every refusal names the field at fault.</summary>
public static class QueryPlanner
{
    public const int MaxFunnelSteps = 10;
    public const int MaxPoints = 10_000;
    public const int MaxBreakdownValues = 25;
    public const int MaxPathDepth = 10;
    public const int MaxRetentionPeriods = 120;
    private const int MaxNameLength = 255;

    public static TrendsPlan Plan(TrendsQuery query)
    {
        var range = Range(query.From, query.To);
        var calendar = Calendar(query.Timezone, query.Interval, Interval.Day, allowHour: true);
        CheckPoints(calendar, range, "interval");
        if (query.Series is not { Count: > 0 } series) throw new QueryValidationException("series", "series needs at least one entry: [{\"event\": \"Purchase\", \"math\": \"total\"}].");
        if (series.Count > 20) throw new QueryValidationException("series", "At most 20 series per query.");
        var plans = new List<TrendSeriesPlan>();
        for (int i = 0; i < series.Count; i++)
        {
            string at = $"series[{i}]";
            var s = series[i] ?? throw new QueryValidationException(at, $"{at} must be an object.");
            var match = Match(s.Event, s.Filters, at, allowAny: true);
            var math = ParseMath(s.Math, at + ".math");
            string? property = null;
            if (math is TrendMath.Sum or TrendMath.Avg or TrendMath.Min or TrendMath.Max or TrendMath.Median or TrendMath.P90)
                property = s.Property is null ? "value" : Name(s.Property, at + ".property");
            else if (math == TrendMath.PerUserAvg && s.Property is not null)
                property = Name(s.Property, at + ".property");
            string label = s.Label ?? (s.Event ?? "") + (math == TrendMath.Total ? "" : $" ({Camel(math)})");
            plans.Add(new TrendSeriesPlan(match, math, property, label));
        }

        return new TrendsPlan(plans, range, calendar, Breakdown(query.Breakdown), query.CompareToPrevious);
    }

    public static FunnelPlan Plan(FunnelQuery query)
    {
        var range = Range(query.From, query.To);
        _ = Zone(query.Timezone);
        if (query.Steps is not { Count: >= 1 } steps) throw new QueryValidationException("steps", "steps needs at least one step: [{\"event\": \"Signup\"}, {\"event\": \"Purchase\"}].");
        if (steps.Count > MaxFunnelSteps) throw new QueryValidationException("steps", $"A funnel has at most {MaxFunnelSteps} steps; this one has {steps.Count}.");
        var matches = steps.Select((s, i) => s is null
            ? throw new QueryValidationException($"steps[{i}]", $"steps[{i}] must be an object.")
            : Match(s.Event, s.Filters, $"steps[{i}]", allowAny: false)).ToList();
        long window = Window(query.Window ?? "7d", "window");
        bool anyOrder = (query.Order ?? "strict") switch
        {
            "strict" => false,
            "any" => true,
            _ => throw new QueryValidationException("order", $"order '{query.Order}' is not one of strict, any."),
        };
        var exclusions = new List<ExclusionPlan>();
        for (int i = 0; i < (query.Exclusions?.Count ?? 0); i++)
        {
            string at = $"exclusions[{i}]";
            var x = query.Exclusions![i] ?? throw new QueryValidationException(at, $"{at} must be an object.");
            var match = Match(x.Event, x.Filters, at, allowAny: false);
            var between = x.BetweenSteps ?? [0, steps.Count - 1];
            if (between.Count != 2 || between[0] < 0 || between[1] >= steps.Count || between[0] >= between[1])
                throw new QueryValidationException(at + ".betweenSteps", $"{at}.betweenSteps must be [a, b] with 0 ≤ a < b < {steps.Count} (0-based step indexes).");
            exclusions.Add(new ExclusionPlan(match, between[0], between[1]));
        }

        return new FunnelPlan(matches, window, anyOrder, exclusions, range, Breakdown(query.Breakdown));
    }

    public static RetentionPlan Plan(RetentionQuery query)
    {
        var range = Range(query.From, query.To);
        var calendar = Calendar(query.Timezone, query.Interval, Interval.Week, allowHour: false);
        CheckPoints(calendar, range, "interval");
        string start = query.StartEvent ?? throw new QueryValidationException("startEvent", "startEvent is required: an event name or $firstSeen.");
        var startMatch = start == "$firstSeen" ? null : Match(start, query.StartFilters, "startEvent", allowAny: false, filtersField: "startFilters");
        var returnMatch = Match(query.ReturnEvent ?? EventMatch.AnyEvent, query.ReturnFilters, "returnEvent", allowAny: true, filtersField: "returnFilters");
        int periods = query.Periods ?? 12;
        if (periods is < 1 or > MaxRetentionPeriods) throw new QueryValidationException("periods", $"periods must be between 1 and {MaxRetentionPeriods}.");
        bool onOrAfter = (query.Mode ?? "on") switch
        {
            "on" => false,
            "onOrAfter" => true,
            _ => throw new QueryValidationException("mode", $"mode '{query.Mode}' is not one of on, onOrAfter."),
        };
        return new RetentionPlan(startMatch, returnMatch, calendar, periods, range, onOrAfter, Breakdown(query.Breakdown));
    }

    public static PathsPlan Plan(PathsQuery query)
    {
        var range = Range(query.From, query.To);
        if ((query.StartEvent is null) == (query.EndEvent is null))
            throw new QueryValidationException("startEvent", "Give exactly one of startEvent and endEvent.");
        string anchor = query.StartEvent is not null ? EventName(query.StartEvent, "startEvent") : EventName(query.EndEvent!, "endEvent");
        int depth = query.Depth ?? 4;
        if (depth is < 2 or > MaxPathDepth) throw new QueryValidationException("depth", $"depth must be between 2 and {MaxPathDepth}.");
        int nodes = query.MaxNodesPerStep ?? 10;
        if (nodes is < 1 or > 100) throw new QueryValidationException("maxNodesPerStep", "maxNodesPerStep must be between 1 and 100.");
        var exclude = (query.Exclude ?? []).Select((e, i) => EventName(e, $"exclude[{i}]")).ToList();
        if (exclude.Contains(anchor)) throw new QueryValidationException("exclude", $"exclude must not contain the {(query.StartEvent is null ? "end" : "start")} event.");
        return new PathsPlan(anchor, query.StartEvent is not null, depth, nodes, exclude, range);
    }

    public static LifecyclePlan Plan(LifecycleQuery query)
    {
        var range = Range(query.From, query.To);
        var calendar = Calendar(query.Timezone, query.Interval, Interval.Day, allowHour: true);
        CheckPoints(calendar, range, "interval");
        return new LifecyclePlan(Match(query.Event ?? EventMatch.AnyEvent, query.Filters, "event", allowAny: true, filtersField: "filters"), calendar, range);
    }

    public static TimeZoneInfo Zone(string? timezone)
    {
        if (timezone is null or "UTC" or "Etc/UTC") return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timezone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new QueryValidationException("timezone", $"timezone '{timezone}' is not a known IANA time zone (e.g. Europe/Berlin, America/New_York).");
        }
    }

    /// <summary>Parses <c>30s, 15m, 12h, 7d, 2w</c> into seconds; the result is above zero.</summary>
    public static long Window(string text, string field)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            long unit = text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86_400, 'w' => 604_800, _ => 0 };
            if (unit > 0)
            {
                if (n <= 0) throw new QueryValidationException(field, $"{field} must be above zero (got '{text}').");
                if (n > 3650L * 86_400 / unit) throw new QueryValidationException(field, $"{field} must be at most 3650 days.");
                return n * unit;
            }
        }

        throw new QueryValidationException(field, $"{field} '{text}' is not a duration such as 30s, 15m, 12h, 7d or 2w.");
    }

    private static TimeRange Range(DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is null) throw new QueryValidationException("from", "from is required (ISO-8601, e.g. 2024-05-01T00:00:00Z).");
        if (to is null) throw new QueryValidationException("to", "to is required (ISO-8601, e.g. 2024-05-31T23:59:59Z).");
        if (from > to) throw new QueryValidationException("from", $"from ({from:O}) is after to ({to:O}).");
        return new TimeRange(from.Value.ToUniversalTime(), to.Value.ToUniversalTime());
    }

    private static LocalCalendar Calendar(string? timezone, string? interval, Interval fallback, bool allowHour)
    {
        var zone = Zone(timezone);
        var parsed = interval switch
        {
            null => fallback,
            "hour" when allowHour => Interval.Hour,
            "day" => Interval.Day,
            "week" => Interval.Week,
            "month" => Interval.Month,
            _ => throw new QueryValidationException("interval", $"interval '{interval}' is not one of {(allowHour ? "hour, " : "")}day, week, month."),
        };
        return new LocalCalendar(zone, parsed);
    }

    private static void CheckPoints(LocalCalendar calendar, TimeRange range, string field)
    {
        long points = calendar.CountBuckets(range.From, range.To);
        if (points > MaxPoints)
            throw new QueryValidationException(field, $"The range holds {points} {calendar.Interval.ToString().ToLowerInvariant()} periods; at most {MaxPoints} are allowed. Use a longer interval or a shorter range.");
    }

    private static EventMatch Match(string? name, IReadOnlyList<EventFilter>? filters, string at, bool allowAny, string? filtersField = null)
    {
        string nameField = filtersField is null ? at + ".event" : at;
        if (name is null) throw new QueryValidationException(nameField, $"{nameField} is required: an event name{(allowAny ? " or $any" : "")}.");
        if (name == EventMatch.AnyEvent && !allowAny) throw new QueryValidationException(nameField, $"{nameField} must name an event ($any is not allowed here).");
        string? eventName = name == EventMatch.AnyEvent ? null : EventName(name, nameField);
        string filtersAt = filtersField ?? at + ".filters";
        var plans = new List<FilterPlan>();
        for (int i = 0; i < (filters?.Count ?? 0); i++) plans.Add(Filter(filters![i], $"{filtersAt}[{i}]"));
        return new EventMatch(eventName, plans);
    }

    public static FilterPlan Filter(EventFilter? filter, string at)
    {
        if (filter is null) throw new QueryValidationException(at, $"{at} must be an object.");
        if ((filter.Property is null) == (filter.Attribute is null))
            throw new QueryValidationException(at, $"{at} needs exactly one of property (an event property) and attribute (a person attribute).");
        var field = filter.Property is not null
            ? new FieldRef(false, Name(filter.Property, at + ".property"))
            : new FieldRef(true, Name(filter.Attribute!, at + ".attribute"));
        var op = filter.Operator switch
        {
            "eq" => FilterOperator.Eq,
            "neq" => FilterOperator.Neq,
            "gt" => FilterOperator.Gt,
            "gte" => FilterOperator.Gte,
            "lt" => FilterOperator.Lt,
            "lte" => FilterOperator.Lte,
            "contains" => FilterOperator.Contains,
            "notContains" => FilterOperator.NotContains,
            "in" => FilterOperator.In,
            "notIn" => FilterOperator.NotIn,
            "isSet" => FilterOperator.IsSet,
            "isNotSet" => FilterOperator.IsNotSet,
            null => throw new QueryValidationException(at + ".operator", $"{at}.operator is required."),
            _ => throw new QueryValidationException(at + ".operator",
                $"{at}.operator '{filter.Operator}' is unknown; use one of eq, neq, gt, gte, lt, lte, contains, notContains, in, notIn, isSet, isNotSet."),
        };
        string valueAt = at + ".value";
        var value = filter.Value;
        List<Literal> values;
        switch (op)
        {
            case FilterOperator.IsSet or FilterOperator.IsNotSet:
                values = [];
                break;
            case FilterOperator.In or FilterOperator.NotIn:
                if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                    throw new QueryValidationException(valueAt, $"{valueAt} must be a non-empty array for {filter.Operator}.");
                values = value.EnumerateArray().Select((v, i) => Literal(v, $"{valueAt}[{i}]")).ToList();
                break;
            case FilterOperator.Contains or FilterOperator.NotContains:
                if (value.ValueKind != JsonValueKind.String) throw new QueryValidationException(valueAt, $"{valueAt} must be a string for {filter.Operator}.");
                values = [Literal(value, valueAt)];
                break;
            case FilterOperator.Gt or FilterOperator.Gte or FilterOperator.Lt or FilterOperator.Lte:
                values = [Literal(value, valueAt)];
                if (values[0].Kind == LiteralKind.Boolean) throw new QueryValidationException(valueAt, $"{valueAt} must be a number or a string for {filter.Operator}.");
                break;
            default:
                values = [Literal(value, valueAt)];
                break;
        }

        return new FilterPlan(field, op, values);
    }

    private static Literal Literal(JsonElement value, string at) => value.ValueKind switch
    {
        JsonValueKind.String => new Literal(LiteralKind.String, value.GetString()!, 0, false),
        JsonValueKind.Number => new Literal(LiteralKind.Number, value.GetRawText(), value.GetDouble(), false),
        JsonValueKind.True or JsonValueKind.False => new Literal(LiteralKind.Boolean, value.GetBoolean() ? "true" : "false", 0, value.GetBoolean()),
        JsonValueKind.Undefined => throw new QueryValidationException(at, $"{at} is required."),
        _ => throw new QueryValidationException(at, $"{at} must be a string, a number or a boolean."),
    };

    private static FieldRef? Breakdown(Breakdown? breakdown)
    {
        if (breakdown is null) return null;
        if ((breakdown.Property is null ? 0 : 1) + (breakdown.Attribute is null ? 0 : 1) + (breakdown.Segment is null ? 0 : 1) != 1)
            throw new QueryValidationException("breakdown", "breakdown needs exactly one of property, attribute and segment.");
        if (breakdown.Segment is not null) return new FieldRef(true, SegmentField + Name(breakdown.Segment, "breakdown.segment"));
        return breakdown.Property is not null
            ? new FieldRef(false, Name(breakdown.Property, "breakdown.property"))
            : new FieldRef(true, Name(breakdown.Attribute!, "breakdown.attribute"));
    }

    /// <summary>
    /// A segment breakdown is planned as a person attribute with this prefix and the segment id: the runner fills its
    /// table with <c>member</c> / <c>not member</c> per person instead of mirroring an attribute.
    /// </summary>
    public const string SegmentField = "\u0001segment:";

    private static TrendMath ParseMath(string? math, string field) => math switch
    {
        null or "total" => TrendMath.Total,
        "uniques" => TrendMath.Uniques,
        "sum" => TrendMath.Sum,
        "avg" => TrendMath.Avg,
        "min" => TrendMath.Min,
        "max" => TrendMath.Max,
        "median" => TrendMath.Median,
        "p90" => TrendMath.P90,
        "perUserAvg" => TrendMath.PerUserAvg,
        "weightedScore" => TrendMath.WeightedScore,
        _ => throw new QueryValidationException(field, $"{field} '{math}' is not one of total, uniques, sum, avg, min, max, median, p90, perUserAvg, weightedScore."),
    };

    public static string Camel(TrendMath math) => math switch
    {
        TrendMath.P90 => "p90",
        TrendMath.PerUserAvg => "perUserAvg",
        TrendMath.WeightedScore => "weightedScore",
        _ => math.ToString().ToLowerInvariant(),
    };

    /// <summary>Event, property and attribute names: 1–255 characters, no quotes, backslashes or control characters.</summary>
    private static string Name(string name, string field)
    {
        if (name.Length is 0 or > MaxNameLength || name.Any(c => c is '"' or '\\' || char.IsControl(c)))
            throw new QueryValidationException(field, $"{field} must be 1 to {MaxNameLength} characters without quotes, backslashes or control characters.");
        return name;
    }

    /// <summary>Event names: 1–255 characters without control characters (SQL literals escape the rest).</summary>
    private static string EventName(string name, string field)
    {
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
            throw new QueryValidationException(field, $"{field} must be 1 to {MaxNameLength} characters without control characters.");
        return name;
    }
}
