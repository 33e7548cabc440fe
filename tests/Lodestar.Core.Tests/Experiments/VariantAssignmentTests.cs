using System.Globalization;
using Lodestar.Core.Experiments;

namespace Lodestar.Core.Tests.Experiments;

public sealed class VariantAssignmentTests
{
    private const int Persons = 100_000;

    private static string Person(int i) => "person-" + i.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Unit_IsTheFirst53BitsOfSha256_WorkedOutIndependently()
    {
        // Python: int.from_bytes(sha256(b"seed-1:person-42").digest()[:8], "big") >> 11) / 2**53
        Assert.Equal(0.8104083059161937, VariantAssignment.Unit("seed-1", "person-42"), 15);
        Assert.Equal(0.2048454683974572, VariantAssignment.Unit("abc", "p"), 15);
    }

    [Theory]
    [InlineData(new double[] { 50, 50 })]
    [InlineData(new double[] { 50, 30, 20 })]
    [InlineData(new double[] { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 })]
    [InlineData(new double[] { 1, 99 })]
    public void Pick_Over100000Persons_MatchesTheWeightsWithinOnePercent(double[] weights)
    {
        var counts = new int[weights.Length];
        for (int i = 0; i < Persons; i++) counts[VariantAssignment.Pick("test-seed", Person(i), weights)]++;
        double total = weights.Sum();
        for (int arm = 0; arm < weights.Length; arm++)
        {
            double share = 100.0 * counts[arm] / Persons;
            double expected = 100.0 * weights[arm] / total;
            Assert.True(Math.Abs(share - expected) < 1, $"arm {arm}: {share:F2}% of persons, weight {expected:F2}%");
        }
    }

    [Fact]
    public void Pick_ZeroWeightArm_NeverChosen()
    {
        for (int i = 0; i < 10_000; i++) Assert.NotEqual(1, VariantAssignment.Pick("s", Person(i), [50, 0, 50]));
    }

    [Fact]
    public void Pick_SameSeedAndPerson_AlwaysTheSameArm()
    {
        double[] weights = [25, 25, 25, 25];
        var first = Enumerable.Range(0, 1000).Select(i => VariantAssignment.Pick("stable", Person(i), weights)).ToArray();
        var again = Enumerable.Range(0, 1000).Select(i => VariantAssignment.Pick("stable", Person(i), weights)).ToArray();
        Assert.Equal(first, again);
        Assert.Equal(4, first.Distinct().Count());
    }

    [Fact]
    public void Pick_TestsWithDifferentSeeds_AreIndependent()
    {
        // Two 50/50 tests: if independent, each of the four combinations holds a quarter of the persons.
        var cells = new int[2, 2];
        for (int i = 0; i < Persons; i++)
            cells[VariantAssignment.Pick("seed-a", Person(i), [50, 50]), VariantAssignment.Pick("seed-b", Person(i), [50, 50])]++;
        foreach (int cell in cells) Assert.True(Math.Abs(100.0 * cell / Persons - 25) < 1, $"cell with {cell} persons");
    }

    [Fact]
    public void InTraffic_TakesThePercentageAndIsIndependentOfTheArm()
    {
        int inside = 0, insideAndControl = 0;
        for (int i = 0; i < Persons; i++)
        {
            if (!VariantAssignment.InTraffic("seed", Person(i), 30)) continue;
            inside++;
            if (VariantAssignment.Pick("seed", Person(i), [50, 50]) == 0) insideAndControl++;
        }

        Assert.True(Math.Abs(100.0 * inside / Persons - 30) < 1, $"{inside} in traffic");
        Assert.True(Math.Abs(100.0 * insideAndControl / inside - 50) < 1, $"{insideAndControl} of {inside} in the control");
        Assert.False(VariantAssignment.InTraffic("seed", "x", 0));
        Assert.True(VariantAssignment.InTraffic("seed", "x", 100));
    }

    [Fact]
    public void Pick_RaisingOneWeight_MovesOnlyPersonsAtTheBoundary()
    {
        // Why assignments are stored: a redraw after 50/50 → 75/25 moves the persons between the two boundaries.
        int moved = 0;
        for (int i = 0; i < Persons; i++)
        {
            if (VariantAssignment.Pick("s", Person(i), [50, 50]) != VariantAssignment.Pick("s", Person(i), [75, 25])) moved++;
        }

        Assert.True(Math.Abs(100.0 * moved / Persons - 25) < 1, $"{moved} moved");
    }
}
