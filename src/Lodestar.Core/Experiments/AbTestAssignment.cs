namespace Lodestar.Core.Experiments;

/// <summary>A person's arm in a test, kept once drawn so later weight changes leave it alone.</summary>
/// <param name="DeviceId">The device that asked when the person was assigned; a login merge finds the assignment through it.</param>
public sealed record AbTestAssignment(string TestId, string PersonId, long VariantId, string? DeviceId, DateTimeOffset AssignedAt);
