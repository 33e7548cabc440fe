namespace Lodestar.Core.Statistics.Api;

/// <summary>One arm on the bandit leaderboard: units, posterior mean and an interval centred on the data mean.</summary>
public sealed record BanditVariationResponse(double Users, double? Cr, IReadOnlyList<double?> Ci);
