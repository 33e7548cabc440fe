namespace Lodestar.Core.Apps;

/// <summary>Apps and their keys (transactional state store).</summary>
public interface IAppStore
{
    App Create(string name);

    IReadOnlyList<App> List();

    App? Find(string appId);

    /// <summary>Finds the app a key belongs to, and the key's kind.</summary>
    (App App, KeyKind Kind)? FindByKey(string key);

    /// <summary>Replaces the given kinds of key (all when empty) with new ones; the old ones stop working at once.</summary>
    App? RotateKeys(string appId, IReadOnlyCollection<KeyKind> kinds);

    string? GetSetting(string name);

    void SetSetting(string name, string value);
}
