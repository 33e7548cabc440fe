namespace Lodestar.Core.Segments;

/// <summary>
/// <c>"occurrence": "first" | "last"</c> with <c>"op"</c> before / after (an ISO-8601 date) or within / olderThan
/// (a duration) and <c>"value"</c>: the time of the first or last matching event tested as a date
/// (see <see cref="ValueTest"/>). No matching event: false.
/// </summary>
public sealed record OccurrenceTest(bool First, ValueTest Test);
