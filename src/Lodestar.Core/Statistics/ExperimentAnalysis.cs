namespace Lodestar.Core.Statistics;

/// <summary>One metric's analysis across all variations; the baseline comes first.</summary>
public sealed record ExperimentAnalysis(double Srm, SrmHealth SrmHealth, IReadOnlyList<VariationAnalysis> Variations);
