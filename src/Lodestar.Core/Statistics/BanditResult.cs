namespace Lodestar.Core.Statistics;

/// <summary>Outcome of a bandit update. <see cref="Weights"/> is null until every arm has enough units.</summary>
public sealed record BanditResult(
    IReadOnlyList<double>? Weights,
    IReadOnlyList<double> BestArmProbabilities,
    int Seed,
    string UpdateMessage,
    bool EnoughUnits,
    IReadOnlyList<BanditArmSummary> Arms)
{
    public const string Updated = "successfully updated";
    public const string NotEnoughUnits = "total sample size must be at least 100 per variation";
}
