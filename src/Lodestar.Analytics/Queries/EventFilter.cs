using System.Text.Json;

namespace Lodestar.Analytics.Queries;

/// <summary>
/// A condition on an event property (<c>property</c>) or a person attribute (<c>attribute</c>):
/// <c>{"property": "plan", "operator": "eq", "value": "pro"}</c>. The JSON type of <c>value</c> decides how values compare
/// (numbers numerically, strings as text, booleans as booleans).
/// </summary>
public sealed record EventFilter
{
    public string? Property { get; init; }

    public string? Attribute { get; init; }

    /// <summary><c>eq, neq, gt, gte, lt, lte, contains, notContains, in, notIn, isSet, isNotSet</c>.</summary>
    public string? Operator { get; init; }

    public JsonElement Value { get; init; }
}

/// <summary>Splits a result by an event property, a person attribute, or membership of a saved segment (<c>member</c> / <c>not member</c>).</summary>
public sealed record Breakdown
{
    public string? Property { get; init; }

    public string? Attribute { get; init; }

    /// <summary>A saved segment's id: persons in it now are <c>member</c>, the others <c>not member</c>.</summary>
    public string? Segment { get; init; }
}
