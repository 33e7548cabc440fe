using System.Globalization;
using System.Text;
using Lodestar.Core.Events;
using Lodestar.Core.Segments;
using Lodestar.Engine.Ingestion;
using Lodestar.Engine.Profiles;
using Lodestar.Engine.Segments;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Lodestar.Server.Tests.Segments;

/// <summary>
/// On random data and random criteria, the memberships the engine keeps in real time (event by event, merges
/// included) equal the reference evaluator's answer over each person's whole history at the end, and the batch
/// (SQL) answer of the segments feature.
/// </summary>
public sealed class RealtimeSegmentsPropertyTests
{
    private static readonly string[] EventNames = ["Open App", "Purchase", "Add To Cart", "View"];
    private static readonly string[] Plans = ["free", "pro", "team"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RealtimeMembership_EqualsReferenceEvaluator_OnRandomDataAndCriteria(int seed)
    {
        var random = new Random(seed);
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(now);
        var segments = new MemorySegmentStore(time);
        using var factory = new LodestarFactory(services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddSingleton<ISegmentStore>(segments);
        });
        var app = await factory.CreateAppAsync();
        for (int i = 0; i < 15; i++) segments.Define(app.Id, $"s{i}", $"Segment {i}", Criteria(random, depth: 0));

        var users = Enumerable.Range(0, 20).Select(i => $"u{seed}-{i}").ToList();
        var anonymous = Enumerable.Range(0, 6).Select(i => $"a{seed}-{i}").ToList();
        using var http = factory.CreateSegmentClient(app.WriteKey);
        for (int batch = 0; batch < 12; batch++)
        {
            var messages = new List<string>();
            for (int i = 0; i < 30; i++) messages.Add(Message(random, users, anonymous, now));
            await RealtimeSegmentsTests.Send(http, "/v1/batch", "{\"batch\": [" + string.Join(",", messages) + "]}");
        }

        var pipeline = factory.Services.GetRequiredService<IngestionPipeline>();
        var router = factory.Services.GetRequiredService<SegmentRouter>();
        var applier = factory.Services.GetRequiredService<EventStoreApplier>();
        for (int settled = 0; settled < 3;)
        {
            long committed = pipeline.CommittedSequence;
            await router.WaitForAsync(committed, TimeSpan.FromSeconds(30), CancellationToken.None);
            await Task.Delay(100);
            settled = router.ProcessedSequence >= pipeline.CommittedSequence ? settled + 1 : 0;
        }

        await applier.WaitForAsync(pipeline.CommittedSequence, TimeSpan.FromSeconds(30), CancellationToken.None);
        var lookup = factory.Services.GetRequiredService<Users.PersonLookup>();
        var projector = factory.Services.GetRequiredService<ProfileProjector>();
        var events = factory.Services.GetRequiredService<IEventStore>();
        var store = factory.Services.GetRequiredService<ISegmentMembershipStore>();
        var audience = factory.Services.GetRequiredService<ISegmentAudience>();
        var persons = users.Concat(anonymous).Select(id => lookup.Find(app.Id, id)).OfType<string>().Distinct().ToList();
        Assert.True(persons.Count >= 10, $"Too few persons ({persons.Count}).");

        var saved = segments.List(app.Id);
        SegmentCondition? Nested(string id) => segments.Find(app.Id, id)?.Criteria;
        var facts = persons.ToDictionary(p => p, p => PersonFacts.From(projector.Find(app.Id, p)!,
            events.PersonEvents(app.Id, p, 100_000, includeInternal: false).Select(PersonEvent.From).OfType<PersonEvent>()));
        int members = 0;
        foreach (var segment in saved)
        {
            var expected = persons.Where(p => SegmentEvaluator.Matches(segment.Criteria, facts[p], now, Nested)).Order(StringComparer.Ordinal).ToList();
            var actual = store.Members(app.Id, segment.Id).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(actual),
                $"Segment {segment.Id} {segment.CriteriaJson}: expected [{string.Join(", ", expected)}], engine has [{string.Join(", ", actual)}]");
            // The batch answer (criteria compiled to SQL over the stores) agrees too.
            var batch = new List<string>();
            await foreach (string member in audience.PersonsAsync(app.Id, segment.Id)) batch.Add(member);
            Assert.True(actual.SequenceEqual(batch.Order(StringComparer.Ordinal)),
                $"Segment {segment.Id} {segment.CriteriaJson}: engine has [{string.Join(", ", actual)}], batch SQL [{string.Join(", ", batch.Order(StringComparer.Ordinal))}]");
            members += expected.Count;
        }

        // Not a vacuous pass: some segments have members and some persons are left out.
        Assert.InRange(members, 1, saved.Count * persons.Count - 1);
    }

    private static string Message(Random random, List<string> users, List<string> anonymous, DateTimeOffset now)
    {
        string timestamp = (now - TimeSpan.FromMinutes(random.Next(0, 40 * 24 * 60)) - TimeSpan.FromMilliseconds(random.Next(1000)))
            .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        string user = users[random.Next(users.Count)];
        string anon = anonymous[random.Next(anonymous.Count)];
        switch (random.Next(10))
        {
            case 0:
                var traits = new List<string> { $"\"plan\": \"{Plans[random.Next(Plans.Length)]}\"" };
                if (random.Next(2) == 0) traits.Add($"\"age\": {random.Next(15, 70)}");
                return $"{{\"type\": \"identify\", \"userId\": \"{user}\", \"traits\": {{{string.Join(", ", traits)}}}, \"timestamp\": \"{timestamp}\"}}";
            case 1:
                // Links an anonymous id to a user: merges two persons when both exist.
                return $"{{\"type\": \"identify\", \"userId\": \"{user}\", \"anonymousId\": \"{anon}\", \"timestamp\": \"{timestamp}\"}}";
            default:
                string ids = random.Next(4) == 0 ? $"\"anonymousId\": \"{anon}\"" : $"\"userId\": \"{user}\"";
                string name = EventNames[random.Next(EventNames.Length)];
                return $"{{\"type\": \"track\", {ids}, \"event\": \"{name}\", \"properties\": {{\"amount\": {random.Next(0, 100)}}}, \"timestamp\": \"{timestamp}\"}}";
        }
    }

    private static string Criteria(Random random, int depth)
    {
        int kind = random.Next(depth < 2 ? 13 : 10);
        string e = EventNames[random.Next(EventNames.Length)];
        string op = new[] { "gte", "lte", "eq", "gt", "lt" }[random.Next(5)];
        string within = $"\"within\": \"{random.Next(1, 35)}d\"";
        return kind switch
        {
            0 => $"{{\"event\": \"{e}\", \"count\": {{\"op\": \"{op}\", \"value\": {random.Next(0, 4)}}}, {within}}}",
            1 => $"{{\"event\": \"{e}\", \"count\": {{\"op\": \"{op}\", \"value\": {random.Next(0, 6)}}}}}",
            2 => $"{{\"event\": \"{e}\", \"filters\": [{{\"property\": \"amount\", \"op\": \"gt\", \"value\": {random.Next(0, 100)}}}], \"count\": {{\"op\": \"gte\", \"value\": {random.Next(1, 3)}}}, {within}}}",
            3 => $"{{\"event\": \"{e}\", \"aggregate\": {{\"fn\": \"{new[] { "sum", "avg", "min", "max" }[random.Next(4)]}\", \"property\": \"amount\", \"op\": \"{op}\", \"value\": {random.Next(0, 150)}}}, {within}}}",
            4 => $"{{\"event\": \"{e}\", \"occurrence\": \"{(random.Next(2) == 0 ? "first" : "last")}\", \"op\": \"within\", \"value\": \"{random.Next(1, 30)}d\"}}",
            5 => $"{{\"sequence\": {{\"did\": {{\"event\": \"Add To Cart\"}}, \"thenNot\": {{\"event\": \"Purchase\"}}, \"within\": \"{random.Next(1, 10)}d\"}}}}",
            6 => $"{{\"attribute\": \"plan\", \"op\": \"{new[] { "eq", "neq" }[random.Next(2)]}\", \"value\": \"{Plans[random.Next(Plans.Length)]}\"}}",
            7 => $"{{\"attribute\": \"age\", \"op\": \"{op}\", \"value\": {random.Next(15, 70)}}}",
            8 => $"{{\"sessions\": {{\"op\": \"{op}\", \"value\": {random.Next(0, 3)}}}}}",
            9 => $"{{\"bucket\": {{\"lt\": {random.Next(1, 10) / 10.0:0.0}}}}}",
            10 => $"{{\"not\": {Criteria(random, depth + 1)}}}",
            _ => $"{{\"{(kind == 11 ? "all" : "any")}\": [{Criteria(random, depth + 1)}, {Criteria(random, depth + 1)}]}}",
        };
    }
}
