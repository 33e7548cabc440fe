using Lodestar.Core.Events;
using Lodestar.Core.Profiles;

namespace Lodestar.Core.Tests.Profiles;

public sealed class ProfileProjectionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static StoredEvent Stored(IncomingEvent e, long sequence = 1) =>
        new() { Sequence = sequence, AppId = "app", PersonId = "p", ReceivedAt = e.Timestamp, Event = e };

    private static IncomingEvent Track(int minutes, string? context = null, string source = "segment") => new()
    {
        Type = EventTypes.Track, Name = "E", UserId = "u", Timestamp = T0.AddMinutes(minutes), ContextJson = context, Source = source,
    };

    [Fact]
    public void ProfilesShareTheirRepeatedDeviceTexts_AndAChangedTextReplacesTheOld()
    {
        const string context = """{"device":{"id":"d","model":"Pixel 9","manufacturer":"Google"},"os":{"name":"Android","version":"15"},"app":{"version":"5.2.0"},"locale":"de-DE","timezone":"Europe/Berlin"}""";
        var first = ProfileProjection.NewProfile("app", "p1");
        var second = ProfileProjection.NewProfile("app", "p2");
        // Each event's context is parsed anew, so without the pool every profile holds texts of its own.
        ProfileProjection.Apply(first, Stored(Track(0, context)));
        ProfileProjection.Apply(second, Stored(Track(0, context)));
        var a = first.Devices["d"];
        var b = second.Devices["d"];
        Assert.Equal("Pixel 9", a.Model);
        Assert.Same(a.Model, b.Model);
        Assert.Same(a.OsVersion, b.OsVersion);
        Assert.Same(a.AppVersion, b.AppVersion);
        Assert.Same(first.Timezone, second.Timezone);
        Assert.Same(first.Locale, b.Locale);

        ProfileProjection.Apply(second, Stored(Track(1, context.Replace("\"15\"", "\"16\"", StringComparison.Ordinal)), 2));
        Assert.Equal("16", b.OsVersion);
        Assert.Equal("15", a.OsVersion);
        Assert.Equal("Pixel 9", b.Model);
    }

    [Fact]
    public void SharedTexts_GivesOneInstancePerText_AndLeavesLongTextsAlone()
    {
        string one = SharedTexts.Share(new string('x', 10));
        Assert.Same(one, SharedTexts.Share(new string('x', 10)));
        string longText = new('y', 65);
        Assert.Same(longText, SharedTexts.Share(longText));
        Assert.NotSame(longText, SharedTexts.Share(new string('y', 65)));
    }

    [Fact]
    public void Changes_SetAddRemoveIncrement_AndUnsubscribe()
    {
        var profile = ProfileProjection.NewProfile("app", "p");
        ProfileProjection.Apply(profile, Stored(new IncomingEvent
        {
            Type = EventTypes.Identify, Name = "$identify", UserId = "u", Timestamp = T0,
            ProfileChanges = new ProfileChanges
            {
                SetJson = """{"plan":"pro","tags":"a","visits":2}""",
                AddJson = """{"tags":["b","a"],"colors":"red"}""",
                IncrementJson = """{"visits":3,"score":1.5}""",
                UnsubscribeChannelsToAdd = ["email", "sms"],
            },
        }));
        ProfileProjection.Apply(profile, Stored(new IncomingEvent
        {
            Type = EventTypes.Identify, Name = "$identify", UserId = "u", Timestamp = T0.AddMinutes(1),
            ProfileChanges = new ProfileChanges { RemoveJson = """{"tags":"a"}""", UnsubscribeChannelsToRemove = ["sms"] },
        }, 2));

        Assert.Equal("pro", profile.Attributes["plan"]!.GetValue<string>());
        Assert.Equal(["b"], profile.Attributes["tags"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["red"], profile.Attributes["colors"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(5, profile.Attributes["visits"]!.GetValue<double>());
        Assert.Equal(1.5, profile.Attributes["score"]!.GetValue<double>());
        Assert.Equal(["email"], profile.UnsubscribedChannels);
    }

    [Fact]
    public void Merge_KnownPersonWinsConflicts_CountsAdd_EarliestFirstSeen()
    {
        var known = ProfileProjection.NewProfile("app", "k");
        known.UserId = "user";
        known.Attributes["plan"] = "pro";
        known.FirstSeen = T0.AddDays(1);
        known.LastActive = T0.AddDays(2);
        known.Sessions = 3;
        var anonymous = ProfileProjection.NewProfile("app", "a");
        anonymous.AnonymousIds.Add("anon");
        anonymous.Attributes["plan"] = "free";
        anonymous.Attributes["referrer"] = "ad";
        anonymous.FirstSeen = T0;
        anonymous.LastActive = T0.AddHours(1);
        anonymous.Sessions = 2;

        ProfileProjection.Merge(known, anonymous);
        Assert.Equal("pro", known.Attributes["plan"]!.GetValue<string>());
        Assert.Equal("ad", known.Attributes["referrer"]!.GetValue<string>());
        Assert.Equal(T0, known.FirstSeen);
        Assert.Equal(T0.AddDays(2), known.LastActive);
        Assert.Equal(5, known.Sessions);
        Assert.Equal("user", known.UserId);
        Assert.Contains("anon", known.AnonymousIds);
    }

    [Fact]
    public void Sessions_FromInactivityForSegment_OnlyFromStartsForLeanplum()
    {
        var segment = ProfileProjection.NewProfile("app", "p");
        foreach (int minute in new[] { 0, 29, 60, 61, 200 }) ProfileProjection.Apply(segment, Stored(Track(minute)));
        Assert.Equal(3, segment.Sessions); // 0–29, 60–61, 200

        var leanplum = ProfileProjection.NewProfile("app", "p");
        foreach (int minute in new[] { 0, 60, 200 }) ProfileProjection.Apply(leanplum, Stored(Track(minute, source: "leanplum")));
        Assert.Equal(0, leanplum.Sessions);
        ProfileProjection.Apply(leanplum, Stored(Track(300, source: "leanplum") with { ProfileChanges = new ProfileChanges { SessionStart = true } }));
        Assert.Equal(1, leanplum.Sessions);
    }

    [Fact]
    public void OlderEvent_DoesNotOverwriteNewerDeviceFacts()
    {
        var profile = ProfileProjection.NewProfile("app", "p");
        ProfileProjection.Apply(profile, Stored(Track(10, """{"device":{"id":"d"},"app":{"version":"2.0"},"timezone":"Europe/Paris"}""")));
        ProfileProjection.Apply(profile, Stored(Track(5, """{"device":{"id":"d"},"app":{"version":"1.0"},"timezone":"Asia/Tokyo"}""")));
        Assert.Equal("2.0", profile.Devices["d"].AppVersion);
        Assert.Equal("Europe/Paris", profile.Timezone);
        Assert.Equal(T0.AddMinutes(5), profile.FirstSeen);
        Assert.Equal(T0.AddMinutes(10), profile.LastActive);
    }

    [Fact]
    public void ContextWithoutDeviceFacts_CreatesNoDevice()
    {
        var profile = ProfileProjection.NewProfile("app", "p");
        ProfileProjection.Apply(profile, Stored(Track(0, """{"library":{"name":"server"},"locale":"fr-FR"}""")));
        Assert.Empty(profile.Devices);
        Assert.Equal("fr-FR", profile.Locale);
    }

    [Theory]
    [InlineData("2024-01-02T03:04:05Z", "datetime")]
    [InlineData("2024-01-02", "datetime")]
    [InlineData("hello", "string")]
    [InlineData("12345-not-a-date", "string")]
    public void AttributeType_DetectsDatetimes(string text, string expected) =>
        Assert.Equal(expected, ProfileProjection.AttributeType(System.Text.Json.Nodes.JsonValue.Create(text)));

    [Fact]
    public void Profile_RoundTripsThroughItsStoredJson()
    {
        var profile = ProfileProjection.NewProfile("app", "p");
        ProfileProjection.Apply(profile, Stored(Track(0, """{"device":{"id":"d","token":"t","type":"ios"},"os":{"name":"iOS"}}""")));
        profile.Attributes["n"] = 3;
        var copy = ProfileJson.Deserialize(ProfileJson.Serialize(profile));
        Assert.Equal(ProfileJson.Serialize(profile), ProfileJson.Serialize(copy));
        Assert.Equal("t", copy.Devices["d"].PushTokens["ios"]);
    }
}
