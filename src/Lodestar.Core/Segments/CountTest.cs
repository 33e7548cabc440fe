namespace Lodestar.Core.Segments;

/// <summary><c>{"op": "gte", "value": 2}</c>: a count compared with a whole number ≥ 0 (eq, neq, gt, gte, lt, lte).</summary>
public sealed record CountTest(ValueOperator Op, long Value)
{
    public bool Matches(long count) => Op switch
    {
        ValueOperator.Eq => count == Value,
        ValueOperator.Neq => count != Value,
        ValueOperator.Gt => count > Value,
        ValueOperator.Gte => count >= Value,
        ValueOperator.Lt => count < Value,
        ValueOperator.Lte => count <= Value,
        _ => false,
    };
}
