using System.Collections.Concurrent;
using Lodestar.Core.Sessions;

namespace Lodestar.Server.Leanplum;

/// <summary>
/// The SDK session of every device, cached in memory over the state store: each call moves its device's
/// session on (<see cref="SessionRules"/>). Changed states are written in one transaction a second
/// (<see cref="Flush"/>) rather than one per request: a crash loses at most that second of session
/// bookkeeping, never an event.
/// </summary>
public sealed class LeanplumSessions(ISessionStateStore store)
{
    private const int MaxCached = 500_000;

    private readonly ConcurrentDictionary<(string AppId, string DeviceId), Entry> _entries = new();
    private readonly ConcurrentDictionary<(string AppId, string DeviceId), byte> _dirty = new();
    private readonly Lock _flushGate = new();

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

    /// <summary>Marks the given devices' states for the next flush.</summary>
    public void MarkChanged(string appId, IReadOnlyCollection<string> deviceIds)
    {
        foreach (string deviceId in deviceIds) _dirty[(appId, deviceId)] = 0;
    }

    /// <summary>Writes every changed state in one transaction.</summary>
    public void Flush()
    {
        lock (_flushGate)
        {
            if (_dirty.IsEmpty) return;
            var keys = _dirty.Keys.ToList();
            var states = new List<(string, string, SessionState)>(keys.Count);
            foreach (var key in keys)
            {
                _dirty.TryRemove(key, out _);
                if (_entries.TryGetValue(key, out var entry))
                {
                    lock (entry.Gate)
                    {
                        if (entry.State is { } state) states.Add((key.AppId, key.DeviceId, state));
                    }
                }
            }

            try
            {
                store.Save(states);
            }
            catch
            {
                foreach (var key in keys) _dirty.TryAdd(key, 0);
                throw;
            }

            if (_entries.Count > MaxCached && _dirty.IsEmpty) _entries.Clear();
        }
    }

    /// <summary>Forgets devices (erasure).</summary>
    public void Forget(string appId, IReadOnlyCollection<string> deviceIds)
    {
        foreach (string deviceId in deviceIds)
        {
            _entries.TryRemove((appId, deviceId), out _);
            _dirty.TryRemove((appId, deviceId), out _);
        }

        store.Delete(appId, deviceIds);
    }

    private sealed class Entry
    {
        public Lock Gate { get; } = new();

        public bool Loaded { get; set; }

        public SessionState? State { get; set; }
    }
}
