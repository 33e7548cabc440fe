using System.Diagnostics;

namespace Lodestar.Analytics.Execution;

/// <summary>
/// A timer whose callbacks run on one dedicated thread, so that a busy thread pool cannot delay them. Query time limits
/// use it: a <see cref="System.Threading.Timer"/> or a <see cref="CancellationTokenSource"/> with a delay fires through
/// the thread pool, and while the pool's threads sit in blocking calls (a query's own, ingestion's), its callback was
/// measured to fire 2.8 s after a 260 ms limit.
/// </summary>
/// <remarks>
/// Written by hand: the base library's timers all fire through the thread pool. Callbacks must be short and must not
/// block (interrupting a DuckDB connection, cancelling a token source); one that throws is dropped, and the thread goes on.
/// A callback can still run once just after its handle is disposed, so it must tolerate that.
/// </remarks>
public static class WatchdogTimer
{
    private static readonly object Gate = new(); // an object, not a Lock: the thread waits on it with Monitor.Wait
    private static readonly PriorityQueue<Entry, long> Queue = new();
    private static Thread? _thread;

    /// <summary>Calls <paramref name="callback"/> once <paramref name="dueIn"/> from now, then every <paramref name="period"/> if one is given, until the returned handle is disposed.</summary>
    public static IDisposable Start(TimeSpan dueIn, Action callback, TimeSpan? period = null)
    {
        if (period is { } p && p <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), "The period must be positive.");
        var entry = new Entry(callback, period is { } every ? Ticks(every) : 0);
        lock (Gate)
        {
            _thread ??= StartThread();
            Queue.Enqueue(entry, Stopwatch.GetTimestamp() + Ticks(dueIn));
            Monitor.PulseAll(Gate);
        }

        return entry;
    }

    private static long Ticks(TimeSpan span) => (long)(Math.Max(0, span.TotalSeconds) * Stopwatch.Frequency);

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Lodestar query watchdog" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        while (true)
        {
            Entry entry;
            lock (Gate)
            {
                while (true)
                {
                    if (!Queue.TryPeek(out entry!, out long due))
                    {
                        Monitor.Wait(Gate);
                        continue;
                    }

                    if (entry.Disposed)
                    {
                        Queue.Dequeue();
                        continue;
                    }

                    long wait = due - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        Queue.Dequeue();
                        if (entry.Period > 0) Queue.Enqueue(entry, Stopwatch.GetTimestamp() + entry.Period);
                        break;
                    }

                    Monitor.Wait(Gate, TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1));
                }
            }

            try
            {
                entry.Callback();
            }
            catch (Exception)
            {
                // A callback's failure is its own (see the remarks); the other timers still fire.
            }
        }
    }

    private sealed class Entry(Action callback, long period) : IDisposable
    {
        public Action Callback => callback;
        public long Period => period;
        public bool Disposed { get; private set; }

        public void Dispose()
        {
            lock (Gate) Disposed = true;
        }
    }
}
