namespace Lodestar.Core.Statistics;

public enum StatsEngine
{
    Bayesian,
    Frequentist,
}
