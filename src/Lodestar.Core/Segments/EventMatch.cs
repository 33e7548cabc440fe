namespace Lodestar.Core.Segments;

/// <summary>Which events a behavioral condition looks at: this name (ordinal) with properties passing every filter.</summary>
public sealed record EventMatch(string Event, IReadOnlyList<PropertyFilter> Filters)
{
    public bool Matches(PersonEvent e, DateTimeOffset now)
    {
        if (!string.Equals(e.Name, Event, StringComparison.Ordinal)) return false;
        // Indexed, not foreach: this runs for every kept event of every evaluation, and an interface enumerator is an allocation.
        var filters = Filters;
        for (int i = 0; i < filters.Count; i++)
        {
            var filter = filters[i];
            if (!filter.Test.Matches(SegmentValue.From(e.Properties?[filter.Property]), now)) return false;
        }

        return true;
    }
}

/// <summary>
/// <c>{"property": "amount", "op": "gt", "value": 10}</c>: a test of one top-level event property. The date operators
/// (within, olderThan, before, after) do not apply to properties.
/// </summary>
public sealed record PropertyFilter(string Property, ValueTest Test);
