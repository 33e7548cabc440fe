namespace Lodestar.Core.Segments;

/// <summary>The aggregate functions of <see cref="AggregateTest"/>.</summary>
public enum AggregateFunction
{
    Sum,
    Avg,
    Min,
    Max,
}

/// <summary>
/// <c>{"fn": "sum", "property": "amount", "op": "gt", "value": 100}</c>: the function over the numeric values of the
/// property (<c>"value"</c> means the event's value) of the matching events; events without a numeric value are
/// left out, and with none left the condition is false whatever the operator (as SQL aggregates give NULL).
/// </summary>
public sealed record AggregateTest(AggregateFunction Function, string Property, ValueOperator Op, double Value)
{
    public const string EventValue = "value";

    /// <summary>
    /// The test over the folded numeric values (<paramref name="valued"/> of them, with their sum, min and max); false
    /// when none had a value, whatever the operator.
    /// </summary>
    public bool Matches(long valued, double sum, double min, double max) => valued > 0 && Matches(Function switch
    {
        AggregateFunction.Sum => sum,
        AggregateFunction.Avg => sum / valued,
        AggregateFunction.Min => min,
        _ => max,
    });

    public bool Matches(double aggregate) => Op switch
    {
        ValueOperator.Eq => aggregate == Value,
        ValueOperator.Neq => aggregate != Value,
        ValueOperator.Gt => aggregate > Value,
        ValueOperator.Gte => aggregate >= Value,
        ValueOperator.Lt => aggregate < Value,
        ValueOperator.Lte => aggregate <= Value,
        _ => false,
    };
}
