using System.Globalization;
using System.Text.Json;
using Lodestar.Core.Events;

namespace Lodestar.Analytics.Demo;

/// <summary>One generated Segment-spec message (track or identify).</summary>
public readonly record struct DemoEvent(
    string Type, string? Name, string? UserId, string? AnonymousId, DateTimeOffset Timestamp,
    string? PropertiesJson, string? ContextJson, double? Revenue);

/// <summary>
/// A realistic app's history, deterministic for a seed, generated day by day (so the store fills roughly in time
/// order, as live traffic does): an onboarding funnel with drop-off, purchases with revenue in three currencies,
/// weekly habits of different strength, churn and resurrection, anonymous sessions on a second device that later
/// log in (identity merges), a few person attributes, and users in several time zones.
/// About 50 events per user for 90 days.
/// </summary>
public sealed class DemoDataGenerator
{
    private static readonly string[] Zones = ["America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London", "Asia/Tokyo", "Asia/Kolkata"];
    private static readonly int[] ZoneOffsetsHours = [-5, -8, 1, 0, 9, 5];
    private static readonly string[] Countries = ["US", "US", "DE", "GB", "JP", "IN"];
    private static readonly string[] Platforms = ["ios", "android", "web"];
    private static readonly string[] Plans = ["free", "free", "free", "plus", "pro"];
    private static readonly string[] Currencies = ["USD", "EUR", "GBP"];
    private static readonly string[] Browse = ["View Home", "View Product", "View Product", "Search", "Add to Cart", "Share", "View Product"];
    private static readonly string[] Categories = ["shoes", "books", "games", "music", "garden", "toys", "food", "tech"];

    private readonly int _users;
    private readonly int _days;
    private readonly int _seed;
    private readonly DateTimeOffset _start;

    public DemoDataGenerator(int users, int days, int seed = 1, DateTimeOffset? start = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        _users = users;
        _days = days;
        _seed = seed;
        _start = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    public DateTimeOffset Start => _start;

    public DateTimeOffset End => _start.AddDays(_days);

    private sealed class UserState
    {
        public int FirstDay;
        public int Zone;
        public int Platform;
        public string Plan = "free";
        public double DailyActivity;
        public bool SignedUp;
        public bool Churned;
        public bool Identified;
        public int SecondDeviceDay = -1;
        public int Age;
    }

    /// <summary>Each day's messages, user by user, each user's in time order.</summary>
    public IEnumerable<IReadOnlyList<DemoEvent>> Days()
    {
        var random = new Random(_seed);
        var users = new UserState[_users];
        for (int u = 0; u < _users; u++)
        {
            int zone = random.Next(Zones.Length);
            users[u] = new UserState
            {
                // More users arrive early on, so later days have both new and long-standing users.
                FirstDay = (int)(Math.Pow(random.NextDouble(), 1.3) * _days),
                Zone = zone,
                Platform = random.Next(Platforms.Length),
                Plan = Plans[random.Next(Plans.Length)],
                DailyActivity = random.NextDouble() switch { < 0.35 => 0.07, < 0.75 => 0.23, < 0.93 => 0.5, _ => 0.85 },
                SecondDeviceDay = random.NextDouble() < 0.15 ? -2 : -1,
                Age = 18 + random.Next(50),
            };
        }

        var events = new List<DemoEvent>();
        for (int day = 0; day < _days; day++)
        {
            events.Clear();
            for (int u = 0; u < _users; u++)
            {
                var user = users[u];
                if (day < user.FirstDay) continue;
                var r = new Random(HashCode.Combine(_seed, u, day));
                if (day == user.FirstDay)
                {
                    FirstVisit(events, u, user, day, r);
                    continue;
                }

                if (user.Churned)
                {
                    // Resurrection: about one churned user in 30 comes back in a given week.
                    if (r.NextDouble() < 0.005) user.Churned = false;
                    else continue;
                }
                else if (r.NextDouble() < 0.015)
                {
                    user.Churned = true;
                    continue;
                }

                // Weekly habit: weekends are busier.
                var date = _start.AddDays(day);
                double weekday = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1.4 : 0.9;
                if (r.NextDouble() >= user.DailyActivity * weekday) continue;
                if (!user.SignedUp) continue;
                if (user.SecondDeviceDay == -2 && r.NextDouble() < 0.3)
                {
                    user.SecondDeviceDay = day;
                    SecondDevice(events, u, user, day, r);
                    continue;
                }

                Session(events, u, user, day, r, UserId(u), Anonymous(u));
            }

            yield return events;
        }
    }

    private void FirstVisit(List<DemoEvent> events, int u, UserState user, int day, Random r)
    {
        string anonymous = Anonymous(u);
        var t = SessionStart(user, day, r);
        events.Add(Track("App Open", null, anonymous, t, null, Context(user)));
        t = t.AddSeconds(5 + r.Next(60));
        events.Add(Track("View Home", null, anonymous, t, null, null));
        if (r.NextDouble() < 0.8)
        {
            t = t.AddSeconds(10 + r.Next(120));
            events.Add(Track("Signup Started", null, anonymous, t, $"{{\"platform\":\"{Platforms[user.Platform]}\"}}", null));
            if (r.NextDouble() < 0.65)
            {
                t = t.AddSeconds(30 + r.Next(600));
                user.SignedUp = true;
                user.Identified = true;
                events.Add(Identify(u, user, anonymous, t));
                events.Add(Track("Signup Completed", UserId(u), anonymous, t.AddSeconds(1), $"{{\"plan\":\"{user.Plan}\"}}", null));
                t = t.AddSeconds(2);
                if (r.NextDouble() < 0.55)
                {
                    t = t.AddSeconds(60 + r.Next(900));
                    events.Add(Track("Tutorial Completed", UserId(u), anonymous, t, null, null));
                }

                if (r.NextDouble() < 0.12) Purchase(events, user, UserId(u), anonymous, t.AddSeconds(120 + r.Next(1800)), r);
                return;
            }
        }

        // Not signed up today: some come back and sign up on a later session.
        if (r.NextDouble() < 0.35) user.SignedUp = true;
        else user.Churned = r.NextDouble() < 0.7;
        for (int i = r.Next(1, 4); i > 0; i--)
        {
            t = t.AddSeconds(10 + r.Next(200));
            events.Add(Track(Browse[r.Next(Browse.Length)], null, anonymous, t, ProductProperties(r), null));
        }
    }

    private void SecondDevice(List<DemoEvent> events, int u, UserState user, int day, Random r)
    {
        // A new device browses anonymously, then logs in: its history merges into the known person.
        string anonymous = Anonymous(u) + "-2";
        var t = SessionStart(user, day, r);
        events.Add(Track("App Open", null, anonymous, t, null, Context(user)));
        for (int i = r.Next(1, 4); i > 0; i--)
        {
            t = t.AddSeconds(10 + r.Next(200));
            events.Add(Track(Browse[r.Next(Browse.Length)], null, anonymous, t, ProductProperties(r), null));
        }

        events.Add(Identify(u, user, anonymous, t.AddSeconds(30)));
        Session(events, u, user, day, r, UserId(u), anonymous, t.AddSeconds(31));
    }

    private void Session(List<DemoEvent> events, int u, UserState user, int day, Random r, string? userId, string anonymous, DateTimeOffset? at = null)
    {
        if (!user.Identified)
        {
            // Signed up on a later visit.
            var t0 = SessionStart(user, day, r);
            events.Add(Track("App Open", null, anonymous, t0, null, Context(user)));
            events.Add(Track("Signup Started", null, anonymous, t0.AddSeconds(20), $"{{\"platform\":\"{Platforms[user.Platform]}\"}}", null));
            events.Add(Identify(u, user, anonymous, t0.AddSeconds(90)));
            events.Add(Track("Signup Completed", UserId(u), anonymous, t0.AddSeconds(91), $"{{\"plan\":\"{user.Plan}\"}}", null));
            user.Identified = true;
            return;
        }

        var t = at ?? SessionStart(user, day, r);
        if (at is null) events.Add(Track("App Open", userId, anonymous, t, null, Context(user)));
        int actions = 3 + r.Next(7);
        for (int i = 0; i < actions; i++)
        {
            t = t.AddSeconds(5 + r.Next(240));
            string name = Browse[r.Next(Browse.Length)];
            events.Add(Track(name, userId, anonymous, t, name is "View Product" or "Add to Cart" ? ProductProperties(r) : null, null));
        }

        if (r.NextDouble() < (user.Plan == "free" ? 0.06 : 0.14)) Purchase(events, user, userId, anonymous, t.AddSeconds(30 + r.Next(300)), r);
    }

    private static void Purchase(List<DemoEvent> events, UserState user, string? userId, string anonymous, DateTimeOffset t, Random r)
    {
        events.Add(Track("Checkout Started", userId, anonymous, t, null, null));
        if (r.NextDouble() < 0.3) return;
        double revenue = Math.Round(4.99 + r.NextDouble() * r.NextDouble() * 120, 2);
        string currency = Currencies[user.Zone is 2 ? 1 : user.Zone is 3 ? 2 : r.Next(100) < 85 ? 0 : r.Next(3)];
        string json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"revenue\":{revenue},\"currency\":\"{currency}\",\"items\":{1 + r.Next(4)},\"category\":\"{Categories[r.Next(Categories.Length)]}\"}}");
        events.Add(new DemoEvent(EventTypes.Track, "Purchase", userId, anonymous, t.AddSeconds(20 + r.Next(200)), json, null, revenue));
    }

    private DemoEvent Identify(int u, UserState user, string anonymous, DateTimeOffset t) => new(
        EventTypes.Identify, null, UserId(u), anonymous, t,
        $"{{\"plan\":\"{user.Plan}\",\"country\":\"{Countries[user.Zone]}\",\"age\":{user.Age},\"platform\":\"{Platforms[user.Platform]}\",\"timezone\":\"{Zones[user.Zone]}\"}}",
        null, null);

    private static DemoEvent Track(string name, string? userId, string anonymous, DateTimeOffset t, string? properties, string? context) =>
        new(EventTypes.Track, name, userId, anonymous, t, properties, context, null);

    private static string ProductProperties(Random r) =>
        $"{{\"category\":\"{Categories[r.Next(Categories.Length)]}\",\"price\":{5 + r.Next(95)}}}";

    private static string Context(UserState user) =>
        $"{{\"timezone\":\"{Zones[user.Zone]}\",\"os\":{{\"name\":\"{Platforms[user.Platform]}\"}}}}";

    /// <summary>A session start on the user's local evening-heavy clock, as UTC.</summary>
    private DateTimeOffset SessionStart(UserState user, int day, Random r)
    {
        double localHour = r.NextDouble() < 0.6 ? 17 + r.NextDouble() * 6 : 7 + r.NextDouble() * 10;
        return _start.AddDays(day).AddHours(localHour - ZoneOffsetsHours[user.Zone]).AddSeconds(r.Next(60));
    }

    private string UserId(int u) => $"user-{_seed}-{u}";

    private string Anonymous(int u) => $"anon-{_seed}-{u}";

    /// <summary>The message as the normal ingestion path receives it from the Segment parser.</summary>
    public static IncomingEvent ToIncoming(DemoEvent e) => new()
    {
        Type = e.Type,
        Name = e.Name ?? EventTypes.DefaultName(e.Type),
        UserId = e.UserId,
        AnonymousId = e.AnonymousId,
        Timestamp = e.Timestamp,
        Value = e.Revenue,
        PropertiesJson = e.PropertiesJson,
        ContextJson = e.ContextJson,
        Source = "segment",
        Internal = e.Type == EventTypes.Identify,
    };

    /// <summary>Writes the message as a Segment-spec JSON object (for <c>/v1/batch</c>).</summary>
    public static void WriteSegment(Utf8JsonWriter writer, DemoEvent e)
    {
        writer.WriteStartObject();
        writer.WriteString("type", e.Type);
        if (e.Name is not null) writer.WriteString("event", e.Name);
        if (e.UserId is not null) writer.WriteString("userId", e.UserId);
        if (e.AnonymousId is not null) writer.WriteString("anonymousId", e.AnonymousId);
        writer.WriteString("timestamp", e.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        if (e.PropertiesJson is not null)
        {
            writer.WritePropertyName(e.Type == EventTypes.Identify ? "traits" : "properties");
            writer.WriteRawValue(e.PropertiesJson, skipInputValidation: true);
        }

        if (e.ContextJson is not null)
        {
            writer.WritePropertyName("context");
            writer.WriteRawValue(e.ContextJson, skipInputValidation: true);
        }

        writer.WriteEndObject();
    }
}
