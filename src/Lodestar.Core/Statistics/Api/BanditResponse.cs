namespace Lodestar.Core.Statistics.Api;

/// <summary>Response of <c>POST /api/v1/stats/bandit</c>.</summary>
public sealed record BanditResponse
{
    public required IReadOnlyList<double> CurrentWeights { get; init; }

    public required IReadOnlyList<double> UpdatedWeights { get; init; }

    public IReadOnlyList<double>? BestArmProbabilities { get; init; }

    public int Seed { get; init; }

    public required string UpdateMessage { get; init; }

    public bool Reweight { get; init; }

    public bool WeightsWereUpdated { get; init; }

    public double Srm { get; init; }

    public required IReadOnlyList<BanditVariationResponse> SingleVariationResults { get; init; }
}
