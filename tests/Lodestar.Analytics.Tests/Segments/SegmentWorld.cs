using System.Globalization;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Execution;
using Lodestar.Analytics.Segments;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Core.Segments;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Tests.Segments;

/// <summary>Profiles and events in a real temporary DuckDB event store, with the batch segment evaluator over them.</summary>
public sealed class SegmentWorld : IDisposable, IProfileReader
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly EventLog _log = new();
    private long _sequence;
    private long _version = 1;

    public SegmentWorld()
    {
        var runner = new DuckDbQueryRunner(_log.Store, _log, _log, NullLogger<DuckDbQueryRunner>.Instance);
        Mirror = new SegmentMirror(this, NullLogger<SegmentMirror>.Instance);
        Batch = new SegmentBatchEvaluator(runner, Mirror, Options.Create(_log.Settings));
    }

    public SegmentMirror Mirror { get; }

    public SegmentBatchEvaluator Batch { get; }

    public Dictionary<string, Profile> Profiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Every stored event by the person id it was stored under (before merges).</summary>
    public List<(string StoredPerson, PersonEvent Event, bool Internal)> Events { get; } = [];

    /// <summary>Old person id → surviving person id.</summary>
    public Dictionary<string, string> Merges { get; } = new(StringComparer.Ordinal);

    public string App => EventLog.App;

    public Profile Person(string personId)
    {
        if (!Profiles.TryGetValue(personId, out var profile))
        {
            Profiles[personId] = profile = new Profile { AppId = App, PersonId = personId, UserId = "user-" + personId };
            _version++;
        }

        return profile;
    }

    public void Changed() => _version++;

    public SegmentWorld Event(string storedPerson, string name, DateTimeOffset time, double? value = null, string? properties = null, bool @internal = false)
    {
        long seq = ++_sequence;
        _log.Store.Append([new StoredEvent
        {
            Sequence = seq,
            AppId = App,
            PersonId = storedPerson,
            ReceivedAt = time,
            Event = new IncomingEvent { Type = "track", Name = name, Timestamp = time, Value = value, PropertiesJson = properties, Internal = @internal, UserId = storedPerson },
        }]);
        Events.Add((storedPerson, new PersonEvent(name, time, value, properties is null ? null : JsonNode.Parse(properties) as JsonObject), @internal));
        return this;
    }

    public SegmentWorld Merge(string oldPerson, string person)
    {
        _log.Store.RecordMerge(App, oldPerson, person);
        foreach (var key in Merges.Where(m => m.Value == oldPerson).Select(m => m.Key).ToList()) Merges[key] = person;
        Merges[oldPerson] = person;
        return this;
    }

    /// <summary>The in-memory facts of a person: their profile and every non-internal event stored under any of their ids.</summary>
    public PersonFacts Facts(Profile profile) =>
        PersonFacts.From(profile, Events
            .Where(e => !e.Internal && Merges.GetValueOrDefault(e.StoredPerson, e.StoredPerson) == profile.PersonId)
            .Select(e => e.Event));

    /// <summary>The reference answer: every profile the in-memory evaluator says matches.</summary>
    public List<string> Expected(SegmentCondition criteria, Func<string, SegmentCondition?>? segments, DateTimeOffset now) =>
        [.. Profiles.Values.Where(p => SegmentEvaluator.Matches(criteria, Facts(p), now, segments)).Select(p => p.PersonId).Order(StringComparer.Ordinal)];

    long IProfileReader.Version => _version;

    IEnumerable<Profile> IProfileReader.ReadAll(string appId) => Profiles.Values;

    public static DateTimeOffset T(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public void Dispose() => _log.Dispose();
}
