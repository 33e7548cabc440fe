namespace Lodestar.Core.Statistics;

/// <summary>Per-arm posterior for the bandit leaderboard. The interval is centred on the data mean, as upstream.</summary>
public sealed record BanditArmSummary(double Users, double Mean, double PosteriorMean, double PosteriorStdDev, double CiLower, double CiUpper);
