namespace Lodestar.Engine;

/// <summary>
/// A sequence number that only moves forward (how far a consumer of the event stream has got), and waiters for it to
/// reach a value: read-your-writes for the API and ordering between consumers.
/// </summary>
public sealed class SequenceProgress
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _value;

    /// <summary>The sequence reached.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>Moves to <paramref name="sequence"/> and wakes the waiters (they look again at <see cref="Value"/>).</summary>
    public void Advance(long sequence)
    {
        Interlocked.Exchange(ref _value, sequence);
        lock (_lock)
        {
            var done = _moved;
            _moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done.TrySetResult();
        }
    }

    /// <summary>
    /// Waits until <see cref="Value"/> reaches <paramref name="sequence"/>, at most <paramref name="timeout"/>: then it
    /// returns all the same (a read answers with what is there rather than fail). Cancelling the token throws.
    /// <paramref name="beforeEachWait"/> runs each time it is about to wait (e.g. to ask the producer to hurry).
    /// </summary>
    public async Task WaitForAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken, Action? beforeEachWait = null)
    {
        if (Value >= sequence) return;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        while (Value < sequence)
        {
            beforeEachWait?.Invoke();
            Task moved;
            lock (_lock) moved = _moved.Task;
            if (Value >= sequence) return;
            try
            {
                await moved.WaitAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
