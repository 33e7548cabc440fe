namespace Lodestar.Core.Statistics;

/// <summary>
/// A Bayesian comparison: posterior of the effect, chance that the treatment beats control, and the expected
/// loss ("risk") of shipping control and of shipping the treatment.
/// </summary>
public sealed record BayesianResult(
    double ChanceToWin,
    double Expected,
    double CiLower,
    double CiUpper,
    double UpliftMean,
    double UpliftStdDev,
    double RiskControl,
    double RiskTreatment,
    string RiskType,
    string? ErrorMessage)
{
    public static BayesianResult Default(string? errorMessage, bool relative) =>
        new(0.5, 0, 0, 0, 0, 0, 0, 0, relative ? "relative" : "absolute", errorMessage);
}
