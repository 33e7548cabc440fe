using System.Text.Json;
using System.Text.Json.Nodes;
using Lodestar.Analytics.Execution;
using Lodestar.Core.Events;
using Lodestar.Core.Profiles;
using Lodestar.Storage.DuckDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lodestar.Analytics.Tests;

/// <summary>A hand-built event history in a real temporary DuckDB file, with the engine over it.</summary>
public sealed class EventLog : IDisposable, IProfileAttributeReader, IEventDefinitionStore
{
    public const string App = "app_test";

    private readonly string _dir = Directory.CreateTempSubdirectory("lodestar-analytics-").FullName;
    private readonly Dictionary<string, JsonObject> _attributes = [];
    private readonly List<EventDefinition> _definitions = [];
    private long _sequence;
    private long _attributeVersion;

    public EventLog(TimeSpan? timeout = null)
    {
        Settings = new AnalyticsOptions { QueryTimeout = timeout ?? TimeSpan.FromSeconds(30) };
        (Store, Engine) = Open();
    }

    public string File => Path.Combine(_dir, "events.duckdb");

    public DuckDbEventStore Store { get; private set; }

    public AnalyticsOptions Settings { get; }

    public AnalyticsEngine Engine { get; private set; }

    /// <summary>Closes the store, runs <paramref name="change"/> on the bare file, and opens the store (and an engine) again.</summary>
    public void Reopen(Action<DuckDB.NET.Data.DuckDBConnection> change)
    {
        Store.Dispose();
        using (var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={File}"))
        {
            connection.Open();
            change(connection);
        }

        (Store, Engine) = Open();
    }

    private (DuckDbEventStore, AnalyticsEngine) Open()
    {
        var store = new DuckDbEventStore(File);
        return (store, new AnalyticsEngine(new DuckDbQueryRunner(store, this, this, NullLogger<DuckDbQueryRunner>.Instance), Options.Create(Settings)));
    }

    public List<(string Person, string Name, DateTimeOffset Time, double? Value, string? Properties, long Seq)> Events { get; } = [];

    public Dictionary<string, string> Overrides { get; } = [];

    public static DateTimeOffset T(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Appends one event; events are stored in call order, whatever their timestamps.</summary>
    public EventLog Add(string person, string name, string time, object? properties = null, double? value = null, bool @internal = false)
    {
        string? json = properties is null ? null : JsonSerializer.Serialize(properties);
        long seq = ++_sequence;
        var at = T(time);
        Store.Append([new StoredEvent
        {
            Sequence = seq,
            AppId = App,
            PersonId = person,
            ReceivedAt = at,
            Event = new IncomingEvent { Type = "track", Name = name, Timestamp = at, Value = value, PropertiesJson = json, Internal = @internal, UserId = person },
        }]);
        if (!@internal) Events.Add((person, name, at, value, json, seq));
        return this;
    }

    /// <summary>Records that <paramref name="oldPerson"/>'s history now belongs to <paramref name="person"/>.</summary>
    public EventLog Merge(string oldPerson, string person)
    {
        Store.RecordMerge(App, oldPerson, person);
        foreach (var key in Overrides.Where(o => o.Value == oldPerson).Select(o => o.Key).ToList()) Overrides[key] = person;
        Overrides[oldPerson] = person;
        return this;
    }

    public EventLog Attribute(string person, string name, JsonNode? value)
    {
        if (!_attributes.TryGetValue(person, out var attributes)) _attributes[person] = attributes = [];
        attributes[name] = value;
        _attributeVersion++;
        return this;
    }

    public EventLog Define(string name, double weight, bool goal = false)
    {
        _definitions.RemoveAll(d => d.Name == name);
        _definitions.Add(new EventDefinition { AppId = App, Name = name, Weight = weight, IsGoal = goal });
        return this;
    }

    public string PersonOf(string person) => Overrides.GetValueOrDefault(person, person);

    long IProfileAttributeReader.Version => _attributeVersion;

    IEnumerable<(string PersonId, JsonNode?[] Values)> IProfileAttributeReader.Read(string appId, IReadOnlyList<string> names) =>
        _attributes.Select(a => (a.Key, names.Select(n => a.Value[n]?.DeepClone()).ToArray()));

    IEnumerable<JsonObject> IProfileAttributeReader.Sample(string appId, int limit) => _attributes.Values.Take(limit);

    IReadOnlyList<EventDefinition> IEventDefinitionStore.List(string appId) => _definitions;

    EventDefinition? IEventDefinitionStore.Find(string appId, string name) => _definitions.FirstOrDefault(d => d.Name == name);

    void IEventDefinitionStore.Save(EventDefinition definition) => Define(definition.Name, definition.Weight, definition.IsGoal);

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
