namespace Lodestar.Core.Experiments;

/// <summary>A/B tests on variables and the persons assigned to them (transactional state store).</summary>
public interface IAbTestStore
{
    /// <summary>Saves a new test; variant ids are given out by the store (the incoming ids are ignored).</summary>
    AbTest Create(AbTest test);

    /// <summary>
    /// Replaces the test's definition. Variants with an id the test has keep it; variants with id 0 are new; variants
    /// left out are deleted together with their assignments (those persons are drawn again).
    /// </summary>
    AbTest? Update(AbTest test);

    AbTest? Find(string appId, string testId);

    IReadOnlyList<AbTest> List(string appId);

    /// <summary>The person's assignment in the test, or, failing that, one drawn for any of <paramref name="deviceIds"/>.</summary>
    AbTestAssignment? FindAssignment(string testId, string personId, IReadOnlyCollection<string> deviceIds);

    /// <summary>Keeps the assignment unless the person has one; true when this call stored it (the first exposure).</summary>
    bool TryAssign(AbTestAssignment assignment);

    /// <summary>How many persons are in each variant.</summary>
    IReadOnlyDictionary<long, long> CountAssignments(string testId);
}
