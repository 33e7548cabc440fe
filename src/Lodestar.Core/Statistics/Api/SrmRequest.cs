namespace Lodestar.Core.Statistics.Api;

/// <summary>Body of <c>POST /api/v1/stats/srm</c>.</summary>
public sealed class SrmRequest
{
    public IReadOnlyList<double>? Users { get; init; }

    public IReadOnlyList<double>? Weights { get; init; }
}
