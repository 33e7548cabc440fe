namespace Lodestar.Core.Segments;

/// <summary>The operators of attribute, technology and property tests (JSON names in camel case: <c>notIn</c>, <c>isSet</c>, …).</summary>
public enum ValueOperator
{
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    In,
    NotIn,
    IsSet,
    IsNotSet,

    /// <summary>A date in the last D (<c>"14d"</c>) and not in the future.</summary>
    Within,

    /// <summary>A date more than D ago (at or before now − D).</summary>
    OlderThan,

    /// <summary>A date strictly before an absolute date.</summary>
    Before,

    /// <summary>A date strictly after an absolute date.</summary>
    After,
}
