namespace Lodestar.Core.Statistics.Api;

/// <summary>Response of <c>POST /api/v1/stats/analyze</c>.</summary>
public sealed record AnalyzeResponse(double Srm, string SrmStatus, IReadOnlyList<VariationResponse> Variations);
