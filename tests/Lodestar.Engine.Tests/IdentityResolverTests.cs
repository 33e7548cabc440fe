using Lodestar.Core.Events;
using Lodestar.Core.Identity;
using Lodestar.Engine.Identity;

namespace Lodestar.Engine.Tests;

public sealed class IdentityResolverTests
{
    /// <summary>The identity map as a dictionary: what the SQLite store does, minus SQL.</summary>
    private sealed class MapStore : IIdentityStore
    {
        public Dictionary<(string, string), string> Links { get; } = [];

        public string? Find(string appId, string distinctId) => Links.GetValueOrDefault((appId, distinctId));

        public long Count() => Links.Count;

        public IEnumerable<IdentityLink> All() => Links.Select(l => new IdentityLink(l.Key.Item1, l.Key.Item2, l.Value)).ToList();

        public bool HasUserId(string appId, string personId) => Links.Any(l => l.Key.Item1 == appId && l.Key.Item2.StartsWith("u:", StringComparison.Ordinal) && l.Value == personId);

        public IReadOnlyList<string> IdsOf(string appId, string personId) => [.. Links.Where(l => l.Value == personId).Select(l => l.Key.Item2)];

        public void Delete(string appId, string personId)
        {
            foreach (var key in Links.Where(l => l.Value == personId).Select(l => l.Key).ToList()) Links.Remove(key);
        }

        public IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> PendingMerges() => [];

        public void MergesApplied()
        {
        }

        public void Save(IReadOnlyList<IdentityLink> links, IReadOnlyList<(string AppId, string FromPersonId, string ToPersonId)> merges)
        {
            foreach (var link in links) Links[(link.AppId, link.DistinctId)] = link.PersonId;
            foreach (var (app, from, to) in merges)
            {
                foreach (var key in Links.Where(l => l.Key.Item1 == app && l.Value == from).Select(l => l.Key).ToList()) Links[key] = to;
            }
        }
    }

    private static IncomingEvent Message(string type, string? userId, string? anonymousId, string? previousId = null) => new()
    {
        Type = type, Name = "x", UserId = userId, AnonymousId = anonymousId, PreviousId = previousId, Timestamp = DateTimeOffset.UnixEpoch,
    };

    private static (IdentityResolver Resolver, MapStore Store) Create()
    {
        var store = new MapStore();
        var resolver = new IdentityResolver(store);
        resolver.Load();
        return (resolver, store);
    }

    private static IdentityResolver.Resolution Resolve(IdentityResolver resolver, MapStore store, IncomingEvent e)
    {
        var result = resolver.Resolve("app", e);
        store.Save(resolver.PendingLinks, resolver.PendingMerges);
        resolver.Committed();
        return result;
    }

    [Fact]
    public void Identify_WithBothIds_MergesTheAnonymousPersonIntoTheKnownOne()
    {
        var (resolver, store) = Create();
        var known = Resolve(resolver, store, Message(EventTypes.Track, "u1", null)).PersonId;
        var anonymous = Resolve(resolver, store, Message(EventTypes.Track, null, "a1")).PersonId;
        Assert.NotEqual(known, anonymous);

        var merge = Resolve(resolver, store, Message(EventTypes.Identify, "u1", "a1"));
        Assert.Equal(known, merge.PersonId);
        Assert.Equal(anonymous, merge.MergedPersonId);
        Assert.Equal(known, Resolve(resolver, store, Message(EventTypes.Track, null, "a1")).PersonId);
        Assert.Equal(known, store.Find("app", DistinctIds.Anonymous("a1")));
    }

    [Fact]
    public void Identify_DoesNotMergeADeviceThatBelongsToAnotherKnownUser()
    {
        var (resolver, store) = Create();
        var first = Resolve(resolver, store, Message(EventTypes.Identify, "alice", "shared-device")).PersonId;
        var second = Resolve(resolver, store, Message(EventTypes.Identify, "bob", "shared-device"));
        Assert.NotEqual(first, second.PersonId);
        Assert.Null(second.MergedPersonId);
        Assert.Equal(first, Resolve(resolver, store, Message(EventTypes.Track, "alice", null)).PersonId);
        // The device now points at the user who uses it.
        Assert.Equal(second.PersonId, Resolve(resolver, store, Message(EventTypes.Track, null, "shared-device")).PersonId);
    }

    [Fact]
    public void FirstLogin_OfAnAnonymousDevice_KeepsItsPerson()
    {
        var (resolver, store) = Create();
        var anonymous = Resolve(resolver, store, Message(EventTypes.Track, null, "d")).PersonId;
        var login = Resolve(resolver, store, Message(EventTypes.Identify, "carol", "d"));
        Assert.Equal(anonymous, login.PersonId);
        Assert.Null(login.MergedPersonId);
    }

    [Fact]
    public void Alias_MergesPreviousIdEvenWhenItWasAUserId_AndChainsFollow()
    {
        var (resolver, store) = Create();
        var old = Resolve(resolver, store, Message(EventTypes.Track, "old-id", null)).PersonId;
        var next = Resolve(resolver, store, Message(EventTypes.Track, "new-id", null)).PersonId;
        var alias = Resolve(resolver, store, Message(EventTypes.Alias, "new-id", null, previousId: "old-id"));
        Assert.Equal(next, alias.PersonId);
        Assert.Equal(old, alias.MergedPersonId);
        Assert.Equal(next, Resolve(resolver, store, Message(EventTypes.Track, "old-id", null)).PersonId);

        // After a reload from the store (a restart), the same answers.
        var reloaded = new IdentityResolver(store);
        reloaded.Load();
        Assert.Equal(next, reloaded.Resolve("app", Message(EventTypes.Track, "old-id", null)).PersonId);
    }

    [Fact]
    public void SameIdsInDifferentApps_AreDifferentPersons()
    {
        var (resolver, store) = Create();
        var one = resolver.Resolve("app", Message(EventTypes.Track, "u", null)).PersonId;
        var two = resolver.Resolve("other", Message(EventTypes.Track, "u", null)).PersonId;
        Assert.NotEqual(one, two);
        store.Save(resolver.PendingLinks, resolver.PendingMerges);
    }

    [Fact]
    public void NewPerson_IsSetExactlyWhenThePersonWasNeverResolvedBefore()
    {
        // Random traffic over a few users and devices (logins, aliases, plain events); the reference is the set of
        // person ids every earlier resolution returned: a person is new only the first time it appears, and the
        // fold relies on it to skip the profile store, so a wrong "new" would lose a stored profile.
        var (resolver, store) = Create();
        var random = new Random(7);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int created = 0;
        for (int i = 0; i < 2_000; i++)
        {
            string? user = random.Next(3) == 0 ? null : "u" + random.Next(40);
            string? device = user is not null && random.Next(2) == 0 ? null : "d" + random.Next(60);
            string type = random.Next(10) switch
            {
                0 => EventTypes.Identify,
                1 when user is not null => EventTypes.Alias,
                _ => EventTypes.Track,
            };
            var message = Message(type, user, device, type == EventTypes.Alias ? "p" + random.Next(30) : null);
            var result = Resolve(resolver, store, message);
            Assert.Equal(!seen.Contains(result.PersonId), result.NewPerson);
            if (result.NewPerson) created++;
            seen.Add(result.PersonId);
            if (result.MergedPersonId is { } merged) Assert.Contains(merged, seen);
        }

        Assert.InRange(created, 50, 2_000);
    }
}
