using System.Threading.Channels;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Microsoft.Extensions.Hosting;

namespace Lodestar.Engine.Segments;

/// <summary>
/// Loads the kept events of person grains being activated, many persons per event-store scan: grains of one
/// router step activate together, and one query for all of them costs what one query for one costs.
/// </summary>
public sealed class PersonHistoryLoader(IEventStore events, EventStoreApplier applier) : BackgroundService
{
    private static readonly TimeSpan StoreWait = TimeSpan.FromSeconds(30);
    private const int MaxPersonsPerQuery = 2_000;

    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The person's user events named <paramref name="names"/> up to <paramref name="bound"/>, in sequence order.</summary>
    public Task<List<PersonEventAt>> LoadAsync(string appId, string personId, IReadOnlySet<string> names, long bound)
    {
        var request = new Request(appId, personId, names, bound);
        if (!_requests.Writer.TryWrite(request)) return Task.FromException<List<PersonEventAt>>(new InvalidOperationException("The engine is stopping."));
        return request.Completion.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _requests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Let the rest of a step's activations queue up behind the first.
                await Task.Delay(2, stoppingToken).ConfigureAwait(false);
                var batch = new List<Request>();
                while (batch.Count < MaxPersonsPerQuery && reader.TryRead(out var request)) batch.Add(request);
                await RunAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _requests.Writer.TryComplete();
            while (reader.TryRead(out var request)) request.Completion.TrySetCanceled(stoppingToken);
        }
    }

    private async Task RunAsync(List<Request> batch)
    {
        try
        {
            long bound = batch.Max(r => r.Bound);
            await applier.WaitForAsync(bound, StoreWait, CancellationToken.None).ConfigureAwait(false);
            foreach (var group in batch.GroupBy(r => (r.AppId, Names: r.Names)))
            {
                var requests = group.ToList();
                var stored = await Task.Run(() => events.PersonsEvents(group.Key.AppId, [.. requests.Select(r => r.PersonId).Distinct()], [.. group.Key.Names], bound))
                    .ConfigureAwait(false);
                var byPerson = stored.GroupBy(e => e.PersonId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
                foreach (var request in requests)
                {
                    var list = new List<PersonEventAt>();
                    foreach (var e in byPerson.GetValueOrDefault(request.PersonId) ?? [])
                    {
                        if (e.Sequence <= request.Bound && PersonEvent.From(e) is { } kept) list.Add(new PersonEventAt(e.Sequence, kept));
                    }

                    request.Completion.TrySetResult(list);
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var request in batch) request.Completion.TrySetException(ex);
        }
    }

    private sealed record Request(string AppId, string PersonId, IReadOnlySet<string> Names, long Bound)
    {
        public TaskCompletionSource<List<PersonEventAt>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A kept event with its sequence in the event store.</summary>
public readonly record struct PersonEventAt(long Sequence, PersonEvent Event);
