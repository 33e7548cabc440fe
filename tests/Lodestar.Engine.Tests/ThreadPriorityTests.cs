using System.Globalization;

namespace Lodestar.Engine.Tests;

public sealed class ThreadPriorityTests
{
    [Fact]
    public void TryLowerCurrent_SetsTheCallingThreadsNiceValue_AndNoOtherThreads()
    {
        if (!OperatingSystem.IsLinux()) return;
        int lowered = -1, other = -1;
        var thread = new Thread(() =>
        {
            Assert.True(Lodestar.Engine.Ingestion.ThreadPriority.TryLowerCurrent(7));
            lowered = Nice();
        });
        thread.Start();
        thread.Join();
        other = Nice();
        Assert.Equal(7, lowered);
        Assert.Equal(0, other);
        Assert.False(Lodestar.Engine.Ingestion.ThreadPriority.TryLowerCurrent(0));
    }

    // Field 19 of /proc/thread-self/stat, counted after the parenthesised command name (which may hold spaces).
    private static int Nice()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
