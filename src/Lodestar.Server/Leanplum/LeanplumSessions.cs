using System.Collections.Concurrent;
using Lodestar.Core.Sessions;

namespace Lodestar.Server.Leanplum;

/// <summary>
/// The SDK session of every device, cached in memory over the state store: each call moves its device's
/// session on (<see cref="SessionRules"/>), and the states a request changed are saved when it is answered.
/// </summary>
public sealed class LeanplumSessions(ISessionStateStore store)
{
    private const int MaxCached = 500_000;

    private readonly ConcurrentDictionary<(string AppId, string DeviceId), Entry> _entries = new();

    public SessionRules.Step Apply(string appId, string deviceId, SessionActivity activity, DateTimeOffset time)
    {
        var entry = _entries.GetOrAdd((appId, deviceId), static _ => new Entry());
        lock (entry.Gate)
        {
            if (!entry.Loaded)
            {
                entry.State = store.Find(appId, deviceId);
                entry.Loaded = true;
            }

            var step = SessionRules.Apply(entry.State, activity, time);
            entry.State = step.State;
            return step;
        }
    }

    /// <summary>Saves the given devices' states.</summary>
    public void Save(string appId, IReadOnlyCollection<string> deviceIds)
    {
        if (deviceIds.Count == 0) return;
        var states = new List<(string, string, SessionState)>(deviceIds.Count);
        foreach (string deviceId in deviceIds)
        {
            if (_entries.TryGetValue((appId, deviceId), out var entry) && entry.State is { } state) states.Add((appId, deviceId, state));
        }

        store.Save(states);
        if (_entries.Count > MaxCached) _entries.Clear();
    }

    /// <summary>Forgets devices (erasure).</summary>
    public void Forget(string appId, IReadOnlyCollection<string> deviceIds)
    {
        foreach (string deviceId in deviceIds) _entries.TryRemove((appId, deviceId), out _);
        store.Delete(appId, deviceIds);
    }

    private sealed class Entry
    {
        public Lock Gate { get; } = new();

        public bool Loaded { get; set; }

        public SessionState? State { get; set; }
    }
}
