namespace Lodestar.Core.Statistics;

/// <summary>
/// Sample-ratio mismatch: a χ² goodness-of-fit test of observed users per arm against the configured traffic
/// split. Follows GrowthBook's back-end <c>checkSrm</c> (the value its UI shows): arms with weight 0 are left
/// out entirely, and df = arms kept − 1. The tail is computed directly, so tiny p-values do not underflow to 0.
/// </summary>
public static class SampleRatioMismatch
{
    /// <summary>Below this p-value the split is flagged as unhealthy.</summary>
    public const double DefaultThreshold = 0.001;

    /// <summary>Below this many users per arm (on average) the check is not trusted yet.</summary>
    public const int MinimumUsersPerVariation = 8;

    /// <summary>Bandits need fewer users per arm before SRM is reported.</summary>
    public const int MinimumUsersPerVariationBandit = 5;

    public static double PValue(IReadOnlyList<double> users, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(weights);
        var kept = new List<(double Users, double Weight)>();
        double totalUsers = 0, totalWeight = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            if (weights[i] == 0 || i >= users.Count)
            {
                continue;
            }

            kept.Add((users[i], weights[i]));
            totalUsers += users[i];
            totalWeight += weights[i];
        }

        if (kept.Count < 2 || totalUsers == 0)
        {
            return 1;
        }

        var chiSquared = 0.0;
        foreach (var (observed, weight) in kept)
        {
            var expected = weight / totalWeight * totalUsers;
            chiSquared += Math.Pow(observed - expected, 2) / expected;
        }

        return ProbabilityFunctions.ChiSquaredSurvival(chiSquared, kept.Count - 1);
    }

    /// <summary>How the SRM check should be read for this traffic.</summary>
    public static SrmHealth Health(double pValue, double totalUsers, int variations, double threshold = DefaultThreshold,
        int minimumPerVariation = MinimumUsersPerVariation)
    {
        if (totalUsers < minimumPerVariation * variations)
        {
            return SrmHealth.NotEnoughTraffic;
        }

        return pValue < threshold ? SrmHealth.Unhealthy : SrmHealth.Healthy;
    }
}
