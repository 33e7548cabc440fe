namespace Lodestar.Core.Statistics.Api;

/// <summary>A validated SRM request.</summary>
public sealed record SrmInput(IReadOnlyList<double> Users, IReadOnlyList<double> Weights);
