namespace Lodestar.Core.Statistics;

/// <summary>
/// What "scaled impact" multiplies an absolute effect by: all users in the experiment (every arm) per unit of
/// traffic share and per day of the phase.
/// </summary>
public sealed record ScaledImpact(double TotalUsers, double TrafficPercentage = 1, double PhaseLengthDays = 1)
{
    public double Multiplier => TotalUsers / (TrafficPercentage * PhaseLengthDays);

    /// <summary>Scaled impact is defined only for means, proportions and CUPED means.</summary>
    public static bool IsEligible(ArmStatistic control, ArmStatistic treatment) =>
        control is SumStatistic or RegressionAdjustedStatistic && treatment is SumStatistic or RegressionAdjustedStatistic;

    /// <summary>The reason scaling cannot be applied, or null when it can.</summary>
    public string? Problem(ArmStatistic control, ArmStatistic treatment)
    {
        if (PhaseLengthDays == 0 || TrafficPercentage == 0)
        {
            return StatisticsErrors.ZeroScaledVariationWeight;
        }

        if (!IsEligible(control, treatment))
        {
            return StatisticsErrors.ScaledImpactNotSupported;
        }

        return TotalUsers == 0 ? StatisticsErrors.NoUnitsInVariation : null;
    }
}
