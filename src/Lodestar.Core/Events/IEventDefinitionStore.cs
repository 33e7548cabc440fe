namespace Lodestar.Core.Events;

/// <summary>Event definitions (display name, weight, goal flag) per app.</summary>
public interface IEventDefinitionStore
{
    IReadOnlyList<EventDefinition> List(string appId);

    EventDefinition? Find(string appId, string name);

    void Save(EventDefinition definition);
}
