namespace Lodestar.Engine.Tests;

public sealed class SequenceProgressTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Waiter_Returns_OnlyOnceTheSequenceIsReached()
    {
        var progress = new SequenceProgress();
        var waiting = progress.WaitForAsync(10, Long, CancellationToken.None);
        progress.Advance(5);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        progress.Advance(10);
        await waiting.WaitAsync(Long);
        Assert.Equal(10, progress.Value);
    }

    [Fact]
    public async Task BeforeEachWait_RunsEachTimeTheWaiterIsStillShort_AndNotWhenReached()
    {
        var progress = new SequenceProgress();
        int asked = 0;
        await progress.WaitForAsync(0, Long, CancellationToken.None, () => asked++);
        Assert.Equal(0, asked);

        var waiting = progress.WaitForAsync(10, Long, CancellationToken.None, () => Interlocked.Increment(ref asked));
        Assert.Equal(1, Volatile.Read(ref asked));
        progress.Advance(5);
        var deadline = DateTime.UtcNow + Long;
        while (Volatile.Read(ref asked) < 2 && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.Equal(2, Volatile.Read(ref asked)); // woken by 5, still short of 10: asks again
        progress.Advance(10);
        await waiting.WaitAsync(Long);
        Assert.Equal(2, Volatile.Read(ref asked));
    }

    [Fact]
    public async Task ManyWaiters_ForDifferentSequences_EachWakeWhenTheirsIsReached()
    {
        var progress = new SequenceProgress();
        var waiters = Enumerable.Range(1, 20).Select(i => (Sequence: (long)i * 10, Task: progress.WaitForAsync(i * 10, Long, CancellationToken.None))).ToList();
        for (long value = 5; value <= 205; value += 5)
        {
            progress.Advance(value);
            foreach (var (sequence, task) in waiters.Where(w => w.Sequence <= value)) await task.WaitAsync(Long);
            await Task.Delay(1);
            Assert.All(waiters.Where(w => w.Sequence > value), w => Assert.False(w.Task.IsCompleted));
        }
    }

    [Fact]
    public async Task ReachedSequence_ReturnsAtOnce_AndATimeoutReturnsWithoutThrowing()
    {
        var progress = new SequenceProgress();
        progress.Advance(7);
        Assert.True(progress.WaitForAsync(7, Long, CancellationToken.None).IsCompletedSuccessfully);

        var started = DateTime.UtcNow;
        await progress.WaitForAsync(8, TimeSpan.FromMilliseconds(100), CancellationToken.None).WaitAsync(Long);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(90));
        Assert.Equal(7, progress.Value);
    }

    [Fact]
    public async Task CancellingTheCaller_Throws()
    {
        var progress = new SequenceProgress();
        using var cancel = new CancellationTokenSource();
        var waiting = progress.WaitForAsync(1, Long, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Long));
    }
}
