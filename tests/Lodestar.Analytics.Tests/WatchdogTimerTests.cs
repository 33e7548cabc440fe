using System.Diagnostics;
using Lodestar.Analytics.Execution;

namespace Lodestar.Analytics.Tests;

/// <summary>Starves the thread pool on purpose, so it runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(StarvesThreadPool), DisableParallelization = true)]
public sealed class StarvesThreadPool;

[Collection(nameof(StarvesThreadPool))]
public sealed class WatchdogTimerTests
{
    [Fact]
    public void FiresOnTime_WhileEveryThreadPoolThreadIsBlocked()
    {
        var release = new ManualResetEventSlim(); // not disposed: work items that have not started yet still wait on it
        int blockers = ThreadPool.ThreadCount + 64;
        for (int i = 0; i < blockers; i++) ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(TimeSpan.FromSeconds(10)), null);
        try
        {
            // The baseline: a pool timer due at the same moment waits behind the blocked work items.
            bool poolFired = false;
            using var poolTimer = new Timer(_ => Volatile.Write(ref poolFired, true), null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
            using var fired = new ManualResetEventSlim();
            (TimeSpan At, bool PoolFired, bool OnPool) seen = default;
            var watch = Stopwatch.StartNew();
            using var watchdog = WatchdogTimer.Start(TimeSpan.FromMilliseconds(100), () =>
            {
                seen = (watch.Elapsed, Volatile.Read(ref poolFired), Thread.CurrentThread.IsThreadPoolThread);
                fired.Set();
            });

            Assert.True(fired.Wait(TimeSpan.FromSeconds(10)), "the watchdog never fired");
            var (at, poolFiredFirst, onPool) = seen;
            Assert.False(poolFiredFirst, "the pool timer fired first: the pool was not starved, and this test proved nothing");
            Assert.False(onPool);
            Assert.InRange(at, TimeSpan.FromMilliseconds(95), TimeSpan.FromMilliseconds(600));
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void Repeats_UntilDisposed()
    {
        int calls = 0;
        var handle = WatchdogTimer.Start(TimeSpan.FromMilliseconds(10), () => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(20));
        SpinWait.SpinUntil(() => Volatile.Read(ref calls) >= 3, TimeSpan.FromSeconds(10));
        Assert.True(Volatile.Read(ref calls) >= 3, $"{calls} calls in 10 s");

        handle.Dispose();
        Thread.Sleep(60); // a call already under way may still land
        int after = Volatile.Read(ref calls);
        Thread.Sleep(200);
        Assert.Equal(after, Volatile.Read(ref calls));
    }

    [Fact]
    public void ADisposedTimer_NeverFires_AndAThrowingCallbackStopsNoOther()
    {
        bool disposedFired = false;
        WatchdogTimer.Start(TimeSpan.FromMilliseconds(50), () => disposedFired = true).Dispose();
        using var throwing = WatchdogTimer.Start(TimeSpan.FromMilliseconds(20), () => throw new InvalidOperationException("a broken callback"));
        using var done = new ManualResetEventSlim();
        using var next = WatchdogTimer.Start(TimeSpan.FromMilliseconds(100), done.Set);

        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), "a callback after the throwing one never ran");
        Assert.False(disposedFired);
    }
}
