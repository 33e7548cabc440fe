using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lodestar.Core.Segments;

/// <summary>
/// Parses and validates the public criteria JSON (see <see cref="SegmentCondition"/> and its kinds) into the AST.
/// Every error names the JSON path of the offending part, rooted at <c>criteria</c>: <c>criteria.all[1].count.value: must be ≥ 0</c>.
/// Durations are a whole number and a unit: <c>m</c> (minutes), <c>h</c>, <c>d</c>, <c>w</c>, e.g. <c>"14d"</c>.
/// </summary>
public sealed class SegmentCriteriaParser
{
    public const string Root = "criteria";

    private static readonly string[] ConditionKinds = ["all", "any", "not", "attribute", "technology", "sessions", "event", "sequence", "segment", "bucket"];

    private static readonly Dictionary<string, ValueOperator> Operators = new(StringComparer.Ordinal)
    {
        ["eq"] = ValueOperator.Eq, ["neq"] = ValueOperator.Neq, ["gt"] = ValueOperator.Gt, ["gte"] = ValueOperator.Gte,
        ["lt"] = ValueOperator.Lt, ["lte"] = ValueOperator.Lte, ["contains"] = ValueOperator.Contains, ["in"] = ValueOperator.In,
        ["notIn"] = ValueOperator.NotIn, ["isSet"] = ValueOperator.IsSet, ["isNotSet"] = ValueOperator.IsNotSet,
        ["within"] = ValueOperator.Within, ["olderThan"] = ValueOperator.OlderThan, ["before"] = ValueOperator.Before, ["after"] = ValueOperator.After,
    };

    private static readonly Dictionary<string, TechnologyField> TechnologyFields = new(StringComparer.Ordinal)
    {
        ["os"] = TechnologyField.Os, ["appVersion"] = TechnologyField.AppVersion, ["deviceModel"] = TechnologyField.DeviceModel,
        ["locale"] = TechnologyField.Locale, ["timezone"] = TechnologyField.Timezone, ["country"] = TechnologyField.Country,
    };

    private static readonly ValueOperator[] CountOperators = [ValueOperator.Eq, ValueOperator.Neq, ValueOperator.Gt, ValueOperator.Gte, ValueOperator.Lt, ValueOperator.Lte];
    private static readonly ValueOperator[] StringOperators =
        [ValueOperator.Eq, ValueOperator.Neq, ValueOperator.Contains, ValueOperator.In, ValueOperator.NotIn, ValueOperator.IsSet, ValueOperator.IsNotSet];
    private static readonly ValueOperator[] OccurrenceOperators = [ValueOperator.Before, ValueOperator.After, ValueOperator.Within, ValueOperator.OlderThan];

    private readonly SegmentParseContext _context;
    private readonly List<SegmentCriteriaError> _errors = [];

    private SegmentCriteriaParser(SegmentParseContext? context) => _context = context ?? new SegmentParseContext();

    /// <summary>Parses criteria JSON text; throws <see cref="SegmentCriteriaException"/> listing every error.</summary>
    public static SegmentCondition Parse(string json, SegmentParseContext? context = null)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json ?? "");
        }
        catch (JsonException e)
        {
            throw new SegmentCriteriaException([new SegmentCriteriaError(Root, "is not valid JSON: " + e.Message)]);
        }

        return Parse(node, context);
    }

    /// <summary>Parses a criteria JSON node; throws <see cref="SegmentCriteriaException"/> listing every error.</summary>
    public static SegmentCondition Parse(JsonNode? criteria, SegmentParseContext? context = null, string path = Root)
    {
        var parser = new SegmentCriteriaParser(context);
        var result = parser.Condition(criteria, path, 0);
        if (parser._errors.Count > 0 || result is null) throw new SegmentCriteriaException(parser._errors);
        return result;
    }

    /// <summary>Parses a duration such as <c>"14d"</c>: a whole number ≥ 1 and a unit m, h, d or w (at most 100 years).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (text is null || text.Length < 2) return false;
        char unit = text[^1];
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < 1) return false;
        double minutes = unit switch { 'm' => n, 'h' => n * 60.0, 'd' => n * 1440.0, 'w' => n * 10080.0, _ => -1 };
        if (minutes <= 0 || minutes > 36525.0 * 1440 * 100) return false;
        duration = TimeSpan.FromMinutes(minutes);
        return true;
    }

    private const int MaxNesting = 32;

    private SegmentCondition? Error(string path, string message)
    {
        _errors.Add(new SegmentCriteriaError(path, message));
        return null;
    }

    private SegmentCondition? Condition(JsonNode? node, string path, int depth)
    {
        if (node is not JsonObject obj) return Error(path, "must be a condition object such as {\"event\": \"Purchase\"} or {\"all\": [...]}");
        if (depth > MaxNesting) return Error(path, $"nests deeper than {MaxNesting} levels");
        var kinds = ConditionKinds.Where(obj.ContainsKey).ToList();
        if (kinds.Count == 0) return Error(path, "must have one of the fields " + string.Join(", ", ConditionKinds));
        if (kinds.Count > 1) return Error(path, $"has both \"{kinds[0]}\" and \"{kinds[1]}\"; a condition is of one kind (combine kinds with all/any)");
        string kind = kinds[0];
        return kind switch
        {
            "all" or "any" => Composite(obj, kind, path, depth),
            "not" => Only(obj, path, "not") ? Condition(obj["not"], path + ".not", depth + 1) is { } inner ? new NotCondition(inner) : null : null,
            "attribute" => Attribute(obj, path),
            "technology" => Technology(obj, path),
            "sessions" => Sessions(obj, path),
            "event" => Event(obj, path),
            "sequence" => Sequence(obj, path),
            "segment" => Segment(obj, path),
            _ => Bucket(obj, path),
        };
    }

    private bool Only(JsonObject obj, string path, params string[] allowed)
    {
        bool ok = true;
        foreach (var (key, _) in obj)
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                Error(Child(path, key), $"is not a field of this condition (allowed: {string.Join(", ", allowed)})");
                ok = false;
            }
        }

        return ok;
    }

    private static string Child(string path, string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$') && key.Length > 0 ? path + "." + key : path + "[" + JsonSerializer.Serialize(key) + "]";

    private SegmentCondition? Composite(JsonObject obj, string kind, string path, int depth)
    {
        Only(obj, path, kind);
        string listPath = path + "." + kind;
        if (obj[kind] is not JsonArray array) return Error(listPath, "must be a list of conditions");
        if (array.Count == 0) return Error(listPath, "must hold at least one condition");
        var conditions = new List<SegmentCondition>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (Condition(array[i], $"{listPath}[{i}]", depth + 1) is { } c) conditions.Add(c);
        }

        if (conditions.Count != array.Count) return null;
        return kind == "all" ? new AllCondition(conditions) : new AnyCondition(conditions);
    }

    private SegmentCondition? Attribute(JsonObject obj, string path)
    {
        Only(obj, path, "attribute", "op", "value");
        if (NonEmptyString(obj["attribute"], path + ".attribute") is not { } name) return null;
        SegmentAttributeType? type = name is AttributeCondition.FirstSeen or AttributeCondition.LastActive
            ? SegmentAttributeType.Date
            : _context.AttributeType?.Invoke(name);
        var test = Test(obj, path, allowDates: true, type, name, null);
        return test is null ? null : new AttributeCondition(name, test);
    }

    private SegmentCondition? Technology(JsonObject obj, string path)
    {
        Only(obj, path, "technology", "op", "value");
        if (NonEmptyString(obj["technology"], path + ".technology") is not { } name) return null;
        if (!TechnologyFields.TryGetValue(name, out var field))
        {
            return Error(path + ".technology", $"unknown technology field \"{name}\"; use one of {string.Join(", ", TechnologyFields.Keys)}");
        }

        if (field == TechnologyField.AppVersion && obj["op"] is JsonValue op && op.TryGetValue(out string? opName)
            && Operators.TryGetValue(opName, out var order) && AppVersionOrder.IsOrdering(order))
        {
            // Versions order component by component (1.10 > 1.9), not as text.
            if (NonEmptyString(obj["value"], path + ".value") is not { } version) return null;
            if (AppVersionOrder.Key(version) is null) return Error(path + ".value", $"\"{version}\" is not a version (e.g. \"2.10\" or \"3.1.4\")");
            return new TechnologyCondition(field, new ValueTest(order, SegmentValue.OfString(version)));
        }

        var test = Test(obj, path, allowDates: false, SegmentAttributeType.String, name, StringOperators);
        return test is null ? null : new TechnologyCondition(field, test);
    }

    private SegmentCondition? Sessions(JsonObject obj, string path)
    {
        Only(obj, path, "sessions");
        return Count(obj["sessions"], path + ".sessions") is { } count ? new SessionsCondition(count) : null;
    }

    private CountTest? Count(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            Error(path, "must be an object {\"op\": \"gte\", \"value\": N}");
            return null;
        }

        Only(obj, path, "op", "value");
        var op = Operator(obj["op"], path + ".op", CountOperators);
        long? n = null;
        if (obj["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out long whole))
        {
            if (whole < 0) Error(path + ".value", "must be >= 0");
            else n = whole;
        }
        else if (obj["value"] is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.GetValue<double>() < 0)
        {
            Error(path + ".value", "must be >= 0");
        }
        else
        {
            Error(path + ".value", "must be a whole number >= 0");
        }

        return op is { } o && n is { } value ? new CountTest(o, value) : null;
    }

    private SegmentCondition? Event(JsonObject obj, string path)
    {
        Only(obj, path, "event", "filters", "count", "aggregate", "occurrence", "op", "value", "within", "between");
        var match = Match(obj, path);
        var window = Window(obj, path);
        string[] measures = [.. new[] { "count", "aggregate", "occurrence" }.Where(obj.ContainsKey)];
        if (measures.Length > 1)
        {
            return Error(path, $"has both \"{measures[0]}\" and \"{measures[1]}\"; use one per condition and combine conditions with all");
        }

        bool occurrence = measures is ["occurrence"];
        if (!occurrence)
        {
            foreach (string key in new[] { "op", "value" })
            {
                if (obj.ContainsKey(key)) Error(path + "." + key, "belongs to an occurrence condition (\"occurrence\": \"first\" or \"last\")");
            }
        }

        CountTest? count = null;
        AggregateTest? aggregate = null;
        OccurrenceTest? occurrenceTest = null;
        bool ok = true;
        switch (measures.FirstOrDefault())
        {
            case "count":
                count = Count(obj["count"], path + ".count");
                ok = count is not null;
                break;
            case "aggregate":
                aggregate = Aggregate(obj["aggregate"], path + ".aggregate");
                ok = aggregate is not null;
                break;
            case "occurrence":
                occurrenceTest = Occurrence(obj, path);
                ok = occurrenceTest is not null;
                break;
        }

        return match is null || window is null || !ok ? null : new EventCondition(match, window, count, aggregate, occurrenceTest);
    }

    private OccurrenceTest? Occurrence(JsonObject obj, string path)
    {
        bool? first = obj["occurrence"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>() switch { "first" => true, "last" => false, _ => null }
            : null;
        if (first is null) Error(path + ".occurrence", "must be \"first\" or \"last\"");
        var test = Test(obj, path, allowDates: true, SegmentAttributeType.Date, "the occurrence time", OccurrenceOperators);
        return first is { } f && test is not null ? new OccurrenceTest(f, test) : null;
    }

    private AggregateTest? Aggregate(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            Error(path, "must be an object {\"fn\": \"sum\", \"property\": \"value\", \"op\": \"gt\", \"value\": X}");
            return null;
        }

        Only(obj, path, "fn", "property", "op", "value");
        AggregateFunction? fn = obj["fn"] is JsonValue f && f.GetValueKind() == JsonValueKind.String
            ? f.GetValue<string>() switch
            {
                "sum" => AggregateFunction.Sum,
                "avg" => AggregateFunction.Avg,
                "min" => AggregateFunction.Min,
                "max" => AggregateFunction.Max,
                _ => null,
            }
            : null;
        if (fn is null) Error(path + ".fn", "must be one of sum, avg, min, max");
        string? property = obj.ContainsKey("property") ? NonEmptyString(obj["property"], path + ".property") : AggregateTest.EventValue;
        if (property is not null) CheckPropertyName(property, path + ".property");
        var op = Operator(obj["op"], path + ".op", CountOperators);
        double? value = Number(obj["value"], path + ".value");
        return fn is { } fnv && property is not null && op is { } opv && value is { } x ? new AggregateTest(fnv, property, opv, x) : null;
    }

    private SegmentCondition? Sequence(JsonObject obj, string path)
    {
        Only(obj, path, "sequence");
        string seqPath = path + ".sequence";
        if (obj["sequence"] is not JsonObject seq) return Error(seqPath, "must be an object {\"did\": {...}, \"thenNot\": {...}, \"within\": \"1d\"}");
        Only(seq, seqPath, "did", "thenNot", "within");
        EventMatch? did = null, thenNot = null;
        if (seq["did"] is JsonObject d)
        {
            Only(d, seqPath + ".did", "event", "filters");
            did = Match(d, seqPath + ".did");
        }
        else
        {
            Error(seqPath + ".did", "must be an object {\"event\": NAME, \"filters\": [...]}");
        }

        if (seq["thenNot"] is JsonObject t)
        {
            Only(t, seqPath + ".thenNot", "event", "filters");
            thenNot = Match(t, seqPath + ".thenNot");
        }
        else
        {
            Error(seqPath + ".thenNot", "must be an object {\"event\": NAME, \"filters\": [...]}");
        }

        var within = Duration(seq["within"], seqPath + ".within");
        return did is null || thenNot is null || within is null ? null : new SequenceCondition(did, thenNot, within.Value);
    }

    private SegmentCondition? Segment(JsonObject obj, string path)
    {
        Only(obj, path, "segment");
        string segPath = path + ".segment";
        if (NonEmptyString(obj["segment"], segPath) is not { } id) return null;
        if (_context.Segments is { } lookup)
        {
            if (string.Equals(id, _context.SegmentId, StringComparison.Ordinal)) return Error(segPath, $"segment \"{id}\" cannot contain itself");
            if (lookup(id) is not { } criteria) return Error(segPath, $"unknown segment id \"{id}\"");
            if (_context.SegmentId is { } self && CyclePath(id, criteria, self, lookup) is { } cycle)
            {
                return Error(segPath, $"makes a cycle between segments: {self} → {string.Join(" → ", cycle)}");
            }
        }

        return new SegmentMembershipCondition(id);
    }

    /// <summary>The chain of segment ids from <paramref name="start"/> back to <paramref name="target"/>, if any.</summary>
    private static List<string>? CyclePath(string start, SegmentCondition startCriteria, string target, Func<string, SegmentCondition?> lookup)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var trail = new List<string> { start };
        return Visit(startCriteria);

        List<string>? Visit(SegmentCondition criteria)
        {
            foreach (string next in SegmentEvaluator.ReferencedSegments(criteria))
            {
                if (string.Equals(next, target, StringComparison.Ordinal)) return [.. trail, next];
                if (!visited.Add(next) || lookup(next) is not { } nested) continue;
                trail.Add(next);
                if (Visit(nested) is { } found) return found;
                trail.RemoveAt(trail.Count - 1);
            }

            return null;
        }
    }

    private SegmentCondition? Bucket(JsonObject obj, string path)
    {
        Only(obj, path, "bucket");
        string bucketPath = path + ".bucket";
        if (obj["bucket"] is not JsonObject b) return Error(bucketPath, "must be an object {\"lt\": p} with 0 <= p <= 1");
        Only(b, bucketPath, "lt");
        if (Number(b["lt"], bucketPath + ".lt") is not { } p) return null;
        if (p is < 0 or > 1) return Error(bucketPath + ".lt", "must be between 0 and 1");
        return new BucketCondition(p);
    }

    private EventMatch? Match(JsonObject obj, string path)
    {
        string? name = NonEmptyString(obj["event"], path + ".event");
        var filters = new List<PropertyFilter>();
        bool ok = true;
        if (obj.ContainsKey("filters"))
        {
            if (obj["filters"] is not JsonArray array)
            {
                Error(path + ".filters", "must be a list of {\"property\", \"op\", \"value\"}");
                ok = false;
            }
            else
            {
                for (int i = 0; i < array.Count; i++)
                {
                    string filterPath = $"{path}.filters[{i}]";
                    if (array[i] is not JsonObject f)
                    {
                        Error(filterPath, "must be an object {\"property\", \"op\", \"value\"}");
                        ok = false;
                        continue;
                    }

                    Only(f, filterPath, "property", "op", "value");
                    string? property = NonEmptyString(f["property"], filterPath + ".property");
                    if (property is not null && !CheckPropertyName(property, filterPath + ".property")) property = null;
                    var test = Test(f, filterPath, allowDates: false, null, property ?? "the property", null);
                    if (property is null || test is null) ok = false;
                    else filters.Add(new PropertyFilter(property, test));
                }
            }
        }

        return name is not null && ok ? new EventMatch(name, filters) : null;
    }

    /// <summary>Property names become JSON paths in SQL; quotes and backslashes would need escaping DuckDB's path syntax lacks.</summary>
    private bool CheckPropertyName(string name, string path)
    {
        if (name.Contains('"', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Any(char.IsControl))
        {
            Error(path, "must not contain quotes, backslashes or control characters");
            return false;
        }

        return true;
    }

    private EventWindow? Window(JsonObject obj, string path)
    {
        bool within = obj.ContainsKey("within"), between = obj.ContainsKey("between");
        if (within && between)
        {
            Error(path + ".between", "cannot be given with \"within\"; use one");
            return null;
        }

        if (within) return Duration(obj["within"], path + ".within") is { } d ? new EventWindow(Within: d) : null;
        if (!between) return EventWindow.Ever;
        string betweenPath = path + ".between";
        if (obj["between"] is not JsonArray { Count: 2 } range)
        {
            Error(betweenPath, "must be a list of two ISO-8601 dates [from, to]");
            return null;
        }

        var from = Date(range[0], betweenPath + "[0]");
        var to = Date(range[1], betweenPath + "[1]");
        if (from is null || to is null) return null;
        if (to <= from)
        {
            Error(betweenPath + "[1]", "must be after the start of the range");
            return null;
        }

        return new EventWindow(From: from, To: to);
    }

    /// <summary>op and value of a typed test, checked against the attribute type when known.</summary>
    private ValueTest? Test(JsonObject obj, string path, bool allowDates, SegmentAttributeType? type, string subject, ValueOperator[]? allowed)
    {
        allowed ??= allowDates ? [.. Operators.Values] : [.. Operators.Values.Where(o => o is not (ValueOperator.Within or ValueOperator.OlderThan or ValueOperator.Before or ValueOperator.After))];
        string opPath = path + ".op", valuePath = path + ".value";
        if (Operator(obj["op"], opPath, allowed) is not { } op) return null;
        var value = obj["value"];
        string typeName = type?.ToString().ToLowerInvariant() ?? "";
        string Mismatch(string needs) => $"{OperatorName(op)} needs {needs}; {subject} is a {typeName} attribute";

        switch (op)
        {
            case ValueOperator.IsSet or ValueOperator.IsNotSet:
                if (value is not null) Error(valuePath, $"must be left out with {OperatorName(op)}");
                return value is null ? new ValueTest(op) : null;
            case ValueOperator.Gt or ValueOperator.Gte or ValueOperator.Lt or ValueOperator.Lte:
                if (type is { } t && t != SegmentAttributeType.Number)
                {
                    Error(opPath, Mismatch("a number") + (t == SegmentAttributeType.Date ? " (use before, after, within or olderThan)" : ""));
                    return null;
                }

                return Number(value, valuePath) is { } n ? new ValueTest(op, SegmentValue.OfNumber(n)) : null;
            case ValueOperator.Eq or ValueOperator.Neq or ValueOperator.Contains:
                if (op == ValueOperator.Contains && type is SegmentAttributeType.Number or SegmentAttributeType.Boolean)
                {
                    Error(opPath, Mismatch("a string or a list"));
                    return null;
                }

                if (op != ValueOperator.Contains && type is SegmentAttributeType.List)
                {
                    Error(opPath, Mismatch("a single value") + " (use contains)");
                    return null;
                }

                if (Scalar(value, valuePath) is not { } operand) return null;
                return CheckType(operand, type, valuePath, subject) ? new ValueTest(op, operand) : null;
            case ValueOperator.In or ValueOperator.NotIn:
                if (type is SegmentAttributeType.List)
                {
                    Error(opPath, Mismatch("a single value") + " (use contains)");
                    return null;
                }

                if (value is not JsonArray { Count: > 0 } list)
                {
                    Error(valuePath, $"must be a non-empty list of values for {OperatorName(op)}");
                    return null;
                }

                var items = new List<SegmentValue>(list.Count);
                for (int i = 0; i < list.Count; i++)
                {
                    if (Scalar(list[i], $"{valuePath}[{i}]") is { } item && CheckType(item, type, $"{valuePath}[{i}]", subject)) items.Add(item);
                }

                return items.Count == list.Count ? new ValueTest(op, List: items) : null;
            case ValueOperator.Within or ValueOperator.OlderThan:
                if (type is { } dt && dt is not (SegmentAttributeType.Date or SegmentAttributeType.String))
                {
                    Error(opPath, Mismatch("a date"));
                    return null;
                }

                return Duration(value, valuePath) is { } d ? new ValueTest(op, Duration: d) : null;
            default:
                if (type is { } bt && bt is not (SegmentAttributeType.Date or SegmentAttributeType.String))
                {
                    Error(opPath, Mismatch("a date"));
                    return null;
                }

                return Date(value, valuePath) is { } date ? new ValueTest(op, Instant: date) : null;
        }
    }

    private bool CheckType(SegmentValue operand, SegmentAttributeType? type, string path, string subject)
    {
        var expected = type switch
        {
            SegmentAttributeType.String or SegmentAttributeType.Date => SegmentValueKind.String,
            SegmentAttributeType.Number => SegmentValueKind.Number,
            SegmentAttributeType.Boolean => SegmentValueKind.Boolean,
            _ => operand.Kind,
        };
        if (operand.Kind == expected) return true;
        Error(path, $"must be a {expected.ToString().ToLowerInvariant()}: {subject} is a {type.ToString()!.ToLowerInvariant()} attribute");
        return false;
    }

    private static string OperatorName(ValueOperator op) => Operators.First(p => p.Value == op).Key;

    private ValueOperator? Operator(JsonNode? node, string path, ValueOperator[] allowed)
    {
        string names = string.Join(", ", allowed.Select(OperatorName));
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            Error(path, "must be one of " + names);
            return null;
        }

        string text = v.GetValue<string>();
        if (!Operators.TryGetValue(text, out var op) || Array.IndexOf(allowed, op) < 0)
        {
            Error(path, $"unknown operator \"{text}\" here; use one of {names}");
            return null;
        }

        return op;
    }

    private SegmentValue? Scalar(JsonNode? node, string path)
    {
        var value = SegmentValue.From(node);
        if (value.Kind is SegmentValueKind.String or SegmentValueKind.Number or SegmentValueKind.Boolean) return value;
        Error(path, "must be a string, a number or a boolean");
        return null;
    }

    private double? Number(JsonNode? node, string path)
    {
        var value = SegmentValue.From(node);
        if (value.Kind == SegmentValueKind.Number && double.IsFinite(value.Number)) return value.Number;
        Error(path, "must be a number");
        return null;
    }

    private string? NonEmptyString(JsonNode? node, string path)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s) return s;
        Error(path, "must be a non-empty string");
        return null;
    }

    private TimeSpan? Duration(JsonNode? node, string path)
    {
        string? text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (TryParseDuration(text, out var duration)) return duration;
        Error(path, "must be a duration such as \"14d\": a whole number >= 1 followed by m, h, d or w");
        return null;
    }

    private DateTimeOffset? Date(JsonNode? node, string path)
    {
        string? text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (SegmentValue.TryParseDate(text, out var date)) return date;
        Error(path, "must be an ISO-8601 date such as \"2026-01-31\" or \"2026-01-31T12:00:00Z\"");
        return null;
    }
}
