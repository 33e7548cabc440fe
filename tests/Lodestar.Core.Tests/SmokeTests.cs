namespace Lodestar.Core.Tests;

public class SmokeTests
{
    [Fact]
    public void Assembly_Loads() => Assert.Equal("Lodestar.Core", typeof(AssemblyMarker).Assembly.GetName().Name);
}
