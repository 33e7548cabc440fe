using System.Net;
using System.Text.Json;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Lodestar.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Lodestar.Server.Tests.Segments;

/// <summary>Real-time segment membership through the real host: events in through the Segment API, memberships out.</summary>
public sealed class RealtimeSegmentsTests
{
    [Fact]
    public async Task Person_EntersAndLeavesSegments_AsTheirEventsArrive_AndEachChangeIsEmitted()
    {
        using var factory = new LodestarFactory();
        var app = await factory.CreateAppAsync();
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        string buyersId = await CreateSegment(admin, app.Id, "Repeat buyers", """{"event": "Purchase", "count": {"op": "gte", "value": 2}, "within": "30d"}""");
        string freeId = await CreateSegment(admin, app.Id, "Free plan", """{"attribute": "plan", "op": "eq", "value": "free"}""");

        await Send(http, "/v1/identify", """{"userId": "ann", "traits": {"plan": "free"}}""");
        Assert.Equal([freeId], await MembershipIds(admin, app.Id, "ann"));

        await Send(http, "/v1/track", """{"userId": "ann", "event": "Purchase", "properties": {"amount": 5}}""");
        Assert.Equal([freeId], await MembershipIds(admin, app.Id, "ann"));
        await Send(http, "/v1/track", """{"userId": "ann", "event": "Purchase", "properties": {"amount": 7}}""");
        Assert.Equal(new[] { buyersId, freeId }.Order(), (await MembershipIds(admin, app.Id, "ann")).Order());

        var body = await (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/ann/segments")).JsonAsync();
        var buyers = body.GetProperty("segments").EnumerateArray().Single(s => s.GetProperty("id").GetString() == buyersId);
        Assert.Equal("Repeat buyers", buyers.GetProperty("name").GetString());
        Assert.InRange(DateTimeOffset.UtcNow - buyers.GetProperty("enteredAt").GetDateTimeOffset(), TimeSpan.Zero, TimeSpan.FromMinutes(1));

        await Send(http, "/v1/identify", """{"userId": "ann", "traits": {"plan": "pro"}}""");
        Assert.Equal([buyersId], await MembershipIds(admin, app.Id, "ann"));

        // Every change is recorded with its time, and emitted as an internal event of the same person.
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        var person = PersonId(factory, app.Id, "ann");
        Assert.Equal(
            [(freeId, true), (buyersId, true), (freeId, false)],
            store.History(app.Id, person).Select(h => (h.SegmentId, h.Entered)));
        var emitted = await Eventually(() =>
        {
            var events = factory.Services.GetRequiredService<IEventStore>().PersonEvents(app.Id, person, 100, includeInternal: true)
                .Where(e => e.Event.Name is SegmentRouter.EnteredEvent or SegmentRouter.LeftEvent).Reverse().ToList();
            return events.Count == 3 ? events : null;
        });
        Assert.Equal([SegmentRouter.EnteredEvent, SegmentRouter.EnteredEvent, SegmentRouter.LeftEvent], emitted.Select(e => e.Event.Name));
        var properties = JsonDocument.Parse(emitted[1].Event.PropertiesJson!).RootElement;
        Assert.Equal(buyersId, properties.GetProperty("segmentId").GetString());
        Assert.Equal("Repeat buyers", properties.GetProperty("segmentName").GetString());
        Assert.True(emitted.All(e => e.Event.Internal));

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/nobody/segments")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/apps/no-such-app/users/ann/segments")).StatusCode);
    }

    [Fact]
    public async Task MembershipEvents_KeptByACommit_ButNotEmittedBeforeTheStop_AreEmittedAtTheNextStart()
    {
        string dataDir = LodestarFactory.NewDataDir();
        string appId;
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        using (var factory = new LodestarFactory(dataDir))
        {
            appId = (await factory.CreateAppAsync()).Id;
            // A step's commit kept its event, and the process stopped before the pipeline took it.
            var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
            store.Commit([], [], null, [new SegmentEmission(0, appId, "kept-person", "s1", "Kept", true, "kept-user", null, at)]);
            Assert.Single(store.PendingEmissions(10));
        }

        using var restarted = new LodestarFactory(dataDir);
        var events = restarted.Services.GetRequiredService<IEventStore>();
        var emitted = await Eventually(() =>
            restarted.Services.GetRequiredService<Users.PersonLookup>().Find(appId, "kept-user") is { } person
                ? events.PersonEvents(appId, person, 10, includeInternal: true).SingleOrDefault(e => e.Event.Name == SegmentRouter.EnteredEvent)
                : null);
        Assert.Equal($"segment:s1:kept-person:entered:{at.UtcTicks}", emitted.Event.MessageId);
        Assert.Equal(at, emitted.Event.Timestamp);
        Assert.True(emitted.Event.Internal);
        Assert.Equal("Kept", JsonDocument.Parse(emitted.Event.PropertiesJson!).RootElement.GetProperty("segmentName").GetString());
        var store2 = restarted.Services.GetRequiredService<ISegmentMembershipStore>();
        await Eventually(() => store2.PendingEmissions(10).Count == 0 ? "" : null);
    }

    [Fact]
    public async Task TimeBasedCondition_FiresWhenTheWindowCloses_WithNoNewEvent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var segments = new MemorySegmentStore(time);
        using var factory = new LodestarFactory(services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddSingleton<ISegmentStore>(segments);
        });
        var app = await factory.CreateAppAsync();
        // Opened the app at some point, but not in the last 7 days.
        segments.Define(app.Id, "lapsed", "Lapsed", """
            {"all": [{"event": "Open App", "count": {"op": "gte", "value": 1}},
                     {"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "7d"}]}
            """);
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        var opened = time.GetUtcNow();
        await Send(http, "/v1/track", """{"userId": "cy", "event": "Open App"}""");
        Assert.Empty(await MembershipIds(admin, app.Id, "cy"));

        time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        await Task.Delay(300);
        Assert.Empty(await MembershipIds(admin, app.Id, "cy"));

        time.Advance(TimeSpan.FromMinutes(2));
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        var person = PersonId(factory, app.Id, "cy");
        var entered = await Eventually(() => store.Memberships(app.Id, person).TryGetValue("lapsed", out var at) ? (DateTimeOffset?)at : null);
        Assert.InRange(entered!.Value, opened + TimeSpan.FromDays(7), time.GetUtcNow());

        // Opening the app again ends it at once.
        await Send(http, "/v1/track", """{"userId": "cy", "event": "Open App"}""");
        Assert.Empty(await MembershipIds(admin, app.Id, "cy"));
    }

    [Fact]
    public async Task TimeBasedCondition_Fires_WhenItsTimerIsStillInACommitInFlight_AtTheSweep()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var segments = new MemorySegmentStore(time);
        GatedMembershipStore? gated = null;
        using var factory = new LodestarFactory(services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddSingleton<ISegmentStore>(segments);
            s.AddSingleton<ISegmentMembershipStore>(sp => gated = new GatedMembershipStore(new SqliteSegmentMembershipStore(sp.GetRequiredService<SqliteDatabase>())));
        });
        var app = await factory.CreateAppAsync();
        segments.Define(app.Id, "lapsed", "Lapsed", """
            {"all": [{"event": "Open App", "count": {"op": "gte", "value": 1}},
                     {"event": "Open App", "count": {"op": "eq", "value": 0}, "within": "7d"}]}
            """);
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        await Send(http, "/v1/track", """{"userId": "eve", "event": "View"}""");
        Assert.Empty(await MembershipIds(admin, app.Id, "eve"));
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        Assert.Same(gated, store);
        // A tick first, so the new definition's initial evaluation (which waits for every commit) is done before the gate closes.
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually(() => store.EvaluatedSegments().ContainsKey((app.Id, "lapsed")) ? "evaluated" : null);

        // The step deciding the timer (7 days after the open) is held in its commit when the time comes, and no later tick
        // comes: the sweep at that tick must not miss the timer (the router waits for the commit in flight before it reads
        // the store's timers; a sweep reading the store alone while the commit is held fails here).
        gated!.Close();
        var opened = time.GetUtcNow();
        await Send(http, "/v1/track", """{"userId": "eve", "event": "Open App"}""");
        await gated.CommitHeldAsync(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        await Task.Delay(500);
        Assert.Empty(store.DueTimers(time.GetUtcNow(), 10));
        gated.Open();

        var person = PersonId(factory, app.Id, "eve");
        var entered = await Eventually(() => store.Memberships(app.Id, person).TryGetValue("lapsed", out var at) ? (DateTimeOffset?)at : null);
        Assert.Equal(opened + TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1), entered!.Value);
        Assert.Equal([true], store.History(app.Id, person).Select(c => c.Entered));
    }

    [Fact]
    public async Task EventsStoredButNotProcessed_BeforeACrash_AreProcessedAfterRestart()
    {
        var segments = new MemorySegmentStore();
        string dataDir = LodestarFactory.NewDataDir();
        string appId;
        using (var first = new LodestarFactory(dataDir, services: s => s.AddSingleton<ISegmentStore>(segments)))
        {
            var app = await first.CreateAppAsync();
            appId = app.Id;
            segments.Define(app.Id, "buyers", "Buyers", """{"event": "Purchase", "count": {"op": "gte", "value": 1}}""");
            using var http = first.CreateSegmentClient(app.WriteKey);
            await Send(http, "/v1/track", """{"userId": "bo", "event": "Purchase"}""");
            await Send(http, "/v1/track", """{"userId": "di", "event": "View"}""");
            using var admin = first.CreateAdminClient();
            Assert.Equal(["buyers"], await MembershipIds(admin, app.Id, "bo"));
        }

        // As if the process died after the events were durable and before the engine recorded what they changed.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "state.sqlite")};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM settings WHERE name = 'segment_engine_cursor'; DELETE FROM segment_members; DELETE FROM segment_member_history; DELETE FROM segment_timers;";
            command.ExecuteNonQuery();
        }

        using var restarted = new LodestarFactory(dataDir, services: s => s.AddSingleton<ISegmentStore>(segments));
        using var client = restarted.CreateAdminClient();
        Assert.Equal(["buyers"], await MembershipIds(client, appId, "bo"));
        Assert.Empty(await MembershipIds(client, appId, "di"));
        var store = restarted.Services.GetRequiredService<ISegmentMembershipStore>();
        Assert.Equal([("buyers", true)], store.History(appId, PersonId(restarted, appId, "bo")).Select(h => (h.SegmentId, h.Entered)));
        // The replayed entry is emitted again, and the cursor catches up with every stored event.
        var events = restarted.Services.GetRequiredService<IEventStore>();
        await Eventually(() => events.PersonEvents(appId, PersonId(restarted, appId, "bo"), 100, includeInternal: true)
            .Count(e => e.Event.Name == SegmentRouter.EnteredEvent) == 2 ? "" : null);
        await Eventually(() => store.Cursor == events.MaxSequence() ? "" : null);
    }

    [Fact]
    public async Task NewSegment_GetsItsInitialMembers_AndDeletingItEndsThem()
    {
        using var factory = new LodestarFactory();
        var app = await factory.CreateAppAsync();
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        await Send(http, "/v1/track", """{"userId": "ed", "event": "Purchase", "properties": {"amount": 30}}""");
        await Send(http, "/v1/track", """{"userId": "flo", "event": "Purchase", "properties": {"amount": 3}}""");
        Assert.Empty(await MembershipIds(admin, app.Id, "ed"));

        string big = await CreateSegment(admin, app.Id, "Big spenders", """{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "gt", "value": 10}, "within": "30d"}""");
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        string ed = PersonId(factory, app.Id, "ed");
        await Eventually(() => store.Members(app.Id, big).Count > 0 ? "" : null);
        Assert.Equal([ed], store.Members(app.Id, big));
        Assert.Equal([big], await MembershipIds(admin, app.Id, "ed"));

        // From then on it is kept in real time.
        await Send(http, "/v1/track", """{"userId": "flo", "event": "Purchase", "properties": {"amount": 8}}""");
        Assert.Equal([big], await MembershipIds(admin, app.Id, "flo"));
        Assert.Equal(2, store.Members(app.Id, big).Count);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/apps/{app.Id}/segments/{big}")).StatusCode);
        await Eventually(() => store.Members(app.Id, big).Count == 0 ? "" : null);
        Assert.Equal([(big, true), (big, false)], store.History(app.Id, ed).Select(h => (h.SegmentId, h.Entered)));
    }

    [Fact]
    public async Task Events_KeptWithoutProperties_AreReadAgain_WhenASegmentStartsReadingTheirProperties()
    {
        using var factory = new LodestarFactory();
        var app = await factory.CreateAppAsync();
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        // No criterion reads Purchase's properties yet: the grain keeps those events without them.
        string buyers = await CreateSegment(admin, app.Id, "Buyers", """{"event": "Purchase"}""");
        await Send(http, "/v1/track", """{"userId": "gus", "event": "Purchase", "properties": {"amount": 80, "item": "boots"}}""");
        await Send(http, "/v1/track", """{"userId": "hal", "event": "Purchase", "properties": {"amount": 20, "item": "socks"}}""");
        Assert.Equal([buyers], await MembershipIds(admin, app.Id, "gus"));

        // Now one does (a filter and a sum of a property): the kept events are read again with their properties.
        string boots = await CreateSegment(admin, app.Id, "Boot buyers", """{"event": "Purchase", "filters": [{"property": "item", "op": "eq", "value": "boots"}]}""");
        string big = await CreateSegment(admin, app.Id, "Big", """{"event": "Purchase", "aggregate": {"fn": "sum", "property": "amount", "op": "gt", "value": 50}, "within": "30d"}""");
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        string gus = PersonId(factory, app.Id, "gus");
        await Eventually(() => store.Members(app.Id, boots).Count > 0 && store.Members(app.Id, big).Count > 0 ? "" : null);
        Assert.Equal([gus], store.Members(app.Id, boots));
        Assert.Equal([gus], store.Members(app.Id, big));

        // And in real time from then on, for a grain that was active before the new definitions.
        await Send(http, "/v1/track", """{"userId": "hal", "event": "Purchase", "properties": {"amount": 40, "item": "boots"}}""");
        Assert.Equal(new[] { buyers, boots, big }.Order(), (await MembershipIds(admin, app.Id, "hal")).Order());
    }

    [Fact]
    public async Task Merge_EndsTheOldPersonsMemberships_AndReevaluatesTheSurvivor()
    {
        var segments = new MemorySegmentStore();
        using var factory = new LodestarFactory(services: s => s.AddSingleton<ISegmentStore>(segments));
        var app = await factory.CreateAppAsync();
        segments.Define(app.Id, "two", "Two purchases", """{"event": "Purchase", "count": {"op": "gte", "value": 2}}""");
        segments.Define(app.Id, "one", "One purchase", """{"event": "Purchase", "count": {"op": "eq", "value": 1}}""");
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        await Send(http, "/v1/track", """{"anonymousId": "anon-1", "event": "Purchase"}""");
        await Send(http, "/v1/track", """{"userId": "gus", "event": "Purchase"}""");
        Assert.Equal(["one"], await MembershipIds(admin, app.Id, "anon-1"));
        Assert.Equal(["one"], await MembershipIds(admin, app.Id, "gus"));
        string anonymous = PersonId(factory, app.Id, "anon-1");

        await Send(http, "/v1/alias", """{"userId": "gus", "previousId": "anon-1"}""");
        Assert.Equal(["two"], await MembershipIds(admin, app.Id, "gus"));
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        Assert.Empty(store.Memberships(app.Id, anonymous));
        Assert.Equal([("one", true), ("one", false)], store.History(app.Id, anonymous).Select(h => (h.SegmentId, h.Entered)));
    }

    [Fact]
    public async Task ErasedPerson_LeavesNoMembershipHistoryOrTimer_AndComesBackFresh()
    {
        using var factory = new LodestarFactory();
        var app = await factory.CreateAppAsync();
        using var http = factory.CreateSegmentClient(app.WriteKey);
        using var admin = factory.CreateAdminClient();
        // A windowed condition, so the member also holds a re-evaluation timer.
        string buyersId = await CreateSegment(admin, app.Id, "Recent buyers", """{"event": "Purchase", "within": "30d"}""");
        await Send(http, "/v1/track", """{"userId": "erin", "event": "Purchase"}""");
        Assert.Equal([buyersId], await MembershipIds(admin, app.Id, "erin"));
        string person = PersonId(factory, app.Id, "erin");

        using var client = factory.CreateClient();
        var deleted = await client.PostAsync($"/api?appId={app.Id}&clientKey={app.DevelopmentKey}&action=deleteUser&userId=erin", null);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        Assert.Empty(store.Memberships(app.Id, person));
        Assert.Empty(store.History(app.Id, person));
        Assert.DoesNotContain(store.DueTimers(DateTimeOffset.MaxValue, 1000), t => t.AppId == app.Id && t.PersonId == person);
        Assert.DoesNotContain(person, store.Members(app.Id, buyersId));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/apps/{app.Id}/users/erin/segments")).StatusCode);

        // The same user id coming back is a new person, judged only on what they do from now on.
        await Send(http, "/v1/identify", """{"userId": "erin", "traits": {"plan": "free"}}""");
        Assert.Empty(await MembershipIds(admin, app.Id, "erin"));
    }

    internal static async Task<string> CreateSegment(HttpClient admin, string appId, string name, string criteria)
    {
        var response = await admin.PostJsonAsync($"/api/v1/apps/{appId}/segments", $$"""{"name": {{JsonSerializer.Serialize(name)}}, "criteria": {{criteria}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    internal static async Task Send(HttpClient http, string path, string json)
    {
        var response = await http.PostJsonAsync(path, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static async Task<List<string>> MembershipIds(HttpClient admin, string appId, string userId)
    {
        var response = await admin.GetAsync($"/api/v1/apps/{appId}/users/{userId}/segments");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        return [.. body.GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    internal static string PersonId(LodestarFactory factory, string appId, string userId) =>
        factory.Services.GetRequiredService<Users.PersonLookup>().Find(appId, userId) ?? throw new InvalidOperationException($"No person for {userId}.");

    internal static async Task<T> Eventually<T>(Func<T?> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not come true within 15 s.");
            await Task.Delay(50);
        }
    }
}
