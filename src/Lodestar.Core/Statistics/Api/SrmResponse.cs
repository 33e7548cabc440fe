namespace Lodestar.Core.Statistics.Api;

/// <summary>Response of <c>POST /api/v1/stats/srm</c>: the χ² p-value and how to read it.</summary>
public sealed record SrmResponse(double Srm, string Status);
