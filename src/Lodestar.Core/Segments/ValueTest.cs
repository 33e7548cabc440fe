namespace Lodestar.Core.Segments;

/// <summary>
/// One typed test of a value (an attribute, a technology field or an event property). The meaning, for the person's
/// value A (absent and JSON null are both "unset"):
/// <list type="bullet">
/// <item><c>isSet</c> / <c>isNotSet</c>: A is set / unset.</item>
/// <item><c>eq</c>: A has the operand's JSON type and the same value (strings compare ordinally, numbers as doubles).
/// <c>neq</c> is its negation, so an unset A passes <c>neq</c>. <c>in</c>: eq to one of the list; <c>notIn</c>: its negation.</item>
/// <item><c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>: A is a number and compares so with the numeric operand.</item>
/// <item><c>contains</c>: A is a string containing the string operand (ordinal, case-sensitive), or A is a list with
/// an element eq to the operand.</item>
/// <item><c>within</c> / <c>olderThan</c> (duration), <c>before</c> / <c>after</c> (absolute date): A is a string holding
/// an ISO-8601 date (see <see cref="SegmentValue.TryParseDate"/>) and now − D &lt; A ≤ now, A ≤ now − D, A &lt; date, A &gt; date.</item>
/// </list>
/// </summary>
/// <param name="Operand">The scalar operand of eq, neq, gt, gte, lt, lte, contains.</param>
/// <param name="List">The operands of in / notIn (empty otherwise).</param>
/// <param name="Duration">The D of within / olderThan.</param>
/// <param name="Instant">The date of before / after.</param>
public sealed record ValueTest(
    ValueOperator Op,
    SegmentValue Operand = default,
    IReadOnlyList<SegmentValue>? List = null,
    TimeSpan Duration = default,
    DateTimeOffset Instant = default)
{
    public IReadOnlyList<SegmentValue> Items => List ?? [];

    /// <summary>Whether this is a date test (within, olderThan, before, after).</summary>
    public bool IsDateTest => Op is ValueOperator.Within or ValueOperator.OlderThan or ValueOperator.Before or ValueOperator.After;

    /// <summary>Applies the test to a value classified by <see cref="SegmentValue.From"/>.</summary>
    public bool Matches(in SegmentValue actual, DateTimeOffset now)
    {
        switch (Op)
        {
            case ValueOperator.IsSet: return !actual.IsUnset;
            case ValueOperator.IsNotSet: return actual.IsUnset;
            case ValueOperator.Eq: return SegmentValue.ScalarEquals(actual, Operand);
            case ValueOperator.Neq: return !SegmentValue.ScalarEquals(actual, Operand);
            case ValueOperator.In: return InList(actual);
            case ValueOperator.NotIn: return !InList(actual);
            case ValueOperator.Gt: return actual.Kind == SegmentValueKind.Number && actual.Number > Operand.Number;
            case ValueOperator.Gte: return actual.Kind == SegmentValueKind.Number && actual.Number >= Operand.Number;
            case ValueOperator.Lt: return actual.Kind == SegmentValueKind.Number && actual.Number < Operand.Number;
            case ValueOperator.Lte: return actual.Kind == SegmentValueKind.Number && actual.Number <= Operand.Number;
            case ValueOperator.Contains:
                if (actual.Kind == SegmentValueKind.String && Operand.Kind == SegmentValueKind.String)
                {
                    return actual.Text!.Contains(Operand.Text!, StringComparison.Ordinal);
                }

                if (actual.Kind == SegmentValueKind.List)
                {
                    foreach (var item in actual.Items) if (SegmentValue.ScalarEquals(item, Operand)) return true;
                }

                return false;
            default:
                return actual.Date is { } date && MatchesDate(date, now);
        }
    }

    /// <summary>The date tests on a date value.</summary>
    public bool MatchesDate(DateTimeOffset date, DateTimeOffset now) => Op switch
    {
        ValueOperator.Within => date > now - Duration && date <= now,
        ValueOperator.OlderThan => date <= now - Duration,
        ValueOperator.Before => date < Instant,
        ValueOperator.After => date > Instant,
        _ => false,
    };

    /// <summary>The instants after <paramref name="now"/> at which a date test on <paramref name="date"/> may change its answer.</summary>
    public DateTimeOffset? NextDateChange(DateTimeOffset date, DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        switch (Op)
        {
            case ValueOperator.Within:
                next = Earliest(next, date, now);
                next = Earliest(next, date + Duration, now);
                break;
            case ValueOperator.OlderThan:
                next = Earliest(next, date + Duration, now);
                break;
        }

        return next;
    }

    internal static DateTimeOffset? Earliest(DateTimeOffset? current, DateTimeOffset candidate, DateTimeOffset now) =>
        candidate <= now ? current : current is { } c && c <= candidate ? c : candidate;

    private bool InList(in SegmentValue actual)
    {
        foreach (var item in Items) if (SegmentValue.ScalarEquals(actual, item)) return true;
        return false;
    }
}
