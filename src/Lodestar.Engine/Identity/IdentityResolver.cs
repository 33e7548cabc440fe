using Lodestar.Core.Events;
using Lodestar.Core.Identity;

namespace Lodestar.Engine.Identity;

/// <summary>
/// Maps the ids on each message to one canonical person, creating persons and merging them as
/// identify/alias calls require. Single-threaded (the pipeline's writer); changes are collected and
/// saved by the pipeline before the events that depend on them are stored.
/// </summary>
public sealed class IdentityResolver(IIdentityStore store)
{
    private const int MaxCachedIds = 2_000_000;

    private readonly Dictionary<(string App, string Id), string> _cache = [];
    private readonly Dictionary<(string App, string Person), string> _mergedInto = [];
    private readonly Dictionary<(string App, string Person), bool> _identified = [];
    private readonly List<IdentityLink> _pendingLinks = [];
    private bool _complete;
    private readonly List<(string AppId, string FromPersonId, string ToPersonId)> _pendingMerges = [];

    public IReadOnlyList<IdentityLink> PendingLinks => _pendingLinks;

    public IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> PendingMerges => _pendingMerges;

    /// <summary>
    /// The result of resolving one message: the person it belongs to, a person merged into it, if any, and whether
    /// the person was created for this message (so no store holds anything of it yet).
    /// </summary>
    public readonly record struct Resolution(string PersonId, string? MergedPersonId, bool NewPerson = false);

    public Resolution Resolve(string appId, IncomingEvent e)
    {
        string? userKey = e.UserId is { Length: > 0 } u ? DistinctIds.User(u) : null;
        string? anonymousKey = e.AnonymousId is { Length: > 0 } a ? DistinctIds.Anonymous(a) : null;
        string? userPerson = userKey is null ? null : Find(appId, userKey);

        if (e.Type == EventTypes.Alias && e.PreviousId is { Length: > 0 } previous && userKey is not null)
        {
            string previousAnonymous = DistinctIds.Anonymous(previous);
            string? previousPerson = Find(appId, previousAnonymous) ?? Find(appId, DistinctIds.User(previous));
            if (userPerson is null)
            {
                string person = previousPerson ?? NewPerson(appId, previousAnonymous);
                Link(appId, userKey, person);
                MarkIdentified(appId, person);
                return new(person, null, previousPerson is null);
            }

            if (previousPerson is null)
            {
                Link(appId, previousAnonymous, userPerson);
                return new(userPerson, null);
            }

            return previousPerson == userPerson ? new(userPerson, null) : new(userPerson, Merge(appId, previousPerson, userPerson));
        }

        string? anonymousPerson = anonymousKey is null ? null : Find(appId, anonymousKey);
        if (userKey is not null && anonymousKey is not null)
        {
            if (userPerson is null && anonymousPerson is null)
            {
                string person = NewPerson(appId, userKey);
                MarkIdentified(appId, person);
                Link(appId, anonymousKey, person);
                return new(person, null, true);
            }

            if (userPerson is null)
            {
                if (IsIdentified(appId, anonymousPerson!))
                {
                    // The device belonged to another known user: the new user gets a person of their own and the device moves.
                    string person = NewPerson(appId, userKey);
                    MarkIdentified(appId, person);
                    Link(appId, anonymousKey, person);
                    return new(person, null, true);
                }

                Link(appId, userKey, anonymousPerson!);
                MarkIdentified(appId, anonymousPerson!);
                return new(anonymousPerson!, null);
            }

            if (anonymousPerson is null)
            {
                Link(appId, anonymousKey, userPerson);
                return new(userPerson, null);
            }

            if (anonymousPerson == userPerson) return new(userPerson, null);
            if (e.Type == EventTypes.Identify && !IsIdentified(appId, anonymousPerson))
            {
                return new(userPerson, Merge(appId, anonymousPerson, userPerson));
            }

            // Another user's device, or a plain event: the id now points at this user, history stays where it is.
            Link(appId, anonymousKey, userPerson);
            return new(userPerson, null);
        }

        if (userKey is not null)
        {
            if (userPerson is not null) return new(userPerson, null);
            string person = NewPerson(appId, userKey);
            MarkIdentified(appId, person);
            return new(person, null, true);
        }

        return anonymousPerson is not null ? new(anonymousPerson, null) : new(NewPerson(appId, anonymousKey!), null, true);
    }

    /// <summary>Called once the pending changes are durable.</summary>
    public void Committed()
    {
        _pendingLinks.Clear();
        _pendingMerges.Clear();
        if (_cache.Count > MaxCachedIds || _identified.Count > MaxCachedIds)
        {
            _cache.Clear();
            _identified.Clear();
            _complete = false;
        }
    }

    /// <summary>Called when saving failed: forget everything not read from the store.</summary>
    public void Abandon()
    {
        _pendingLinks.Clear();
        _pendingMerges.Clear();
        Load();
    }

    /// <summary>
    /// Reads the whole identity map into memory when it fits, so an id seen for the first time costs no store
    /// query (a miss is then known to be new). Beyond <see cref="MaxCachedIds"/>, misses ask the store.
    /// </summary>
    public void Load()
    {
        _cache.Clear();
        _mergedInto.Clear();
        _identified.Clear();
        _complete = false;
        if (store.Count() > MaxCachedIds) return;
        foreach (var link in store.All())
        {
            _cache[(link.AppId, link.DistinctId)] = link.PersonId;
            if (link.DistinctId.StartsWith("u:", StringComparison.Ordinal)) _identified[(link.AppId, link.PersonId)] = true;
        }

        _complete = true;
    }


    private string? Find(string appId, string distinctId)
    {
        if (!_cache.TryGetValue((appId, distinctId), out var person))
        {
            if (_complete) return null;
            person = store.Find(appId, distinctId);
            if (person is null) return null;
            _cache[(appId, distinctId)] = person;
        }

        while (_mergedInto.TryGetValue((appId, person), out var survivor)) person = survivor;
        return person;
    }

    private string NewPerson(string appId, string distinctId)
    {
        string person = Guid.CreateVersion7().ToString("N");
        Link(appId, distinctId, person);
        return person;
    }

    private void Link(string appId, string distinctId, string personId)
    {
        _cache[(appId, distinctId)] = personId;
        _pendingLinks.Add(new IdentityLink(appId, distinctId, personId));
    }

    private string Merge(string appId, string from, string into)
    {
        _mergedInto[(appId, from)] = into;
        _pendingMerges.Add((appId, from, into));
        if (IsIdentified(appId, from)) MarkIdentified(appId, into);
        return from;
    }

    private void MarkIdentified(string appId, string personId) => _identified[(appId, personId)] = true;

    private bool IsIdentified(string appId, string personId)
    {
        if (_identified.TryGetValue((appId, personId), out bool identified)) return identified;
        if (_complete) return false;
        identified = store.HasUserId(appId, personId);
        _identified[(appId, personId)] = identified;
        return identified;
    }
}
