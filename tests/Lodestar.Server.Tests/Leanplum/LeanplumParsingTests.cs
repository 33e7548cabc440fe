using System.Text.Json;
using Lodestar.Core.Sessions;
using Lodestar.Engine.Ingestion.Leanplum;

namespace Lodestar.Server.Tests.Leanplum;

/// <summary>Pure tests of the parameter forms the SDKs send, and of Leanplum's session rules.</summary>
public sealed class LeanplumParsingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Theory]
    [InlineData("1795910362.906", 1795910362.906)]
    [InlineData("1.461783515473E9", 1461783515.473)]
    [InlineData("1795910362.545000", 1795910362.545)]
    public void Time_DecimalOrScientificText_Parses(string text, double seconds)
    {
        var args = new LeanplumArgs();
        args.SetText(LeanplumParams.Time, text);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)), LeanplumEventMapper.EventTime(args, T0, null));
    }

    [Fact]
    public void EventTime_IsCorrectedByTheBatchSendTime()
    {
        var args = new LeanplumArgs();
        args.SetText(LeanplumParams.Time, "100.5");
        // Sent 4.5 s after it happened, whatever the client's clock said.
        Assert.Equal(T0.AddSeconds(-4.5), LeanplumEventMapper.EventTime(args, T0, 105.0));
    }

    [Fact]
    public void Values_AsJsonOrText_ReadTheSame()
    {
        var item = LeanplumArgs.FromObject(JsonElement.Parse("""{"devMode":false,"params":{"a":1},"userAttributes":"{\"b\":2}","value":"2.5e1"}"""), null);
        Assert.False(item.Bool(LeanplumParams.DevMode));
        Assert.Equal(1, item.Object("params")!.Value.GetProperty("a").GetInt32());
        Assert.Equal(2, item.Object("userAttributes")!.Value.GetProperty("b").GetInt32());
        Assert.Equal(25, item.Number("value"));

        var form = new LeanplumArgs();
        form.SetText(LeanplumParams.DevMode, "true");
        Assert.True(form.Bool(LeanplumParams.DevMode));
        Assert.Throws<LeanplumFormatException>(() => form.Object(LeanplumParams.DevMode));
    }

    [Fact]
    public void MultiItems_FromArrayOrNativeFormString_InheritOuterIdsOnly()
    {
        var outer = new LeanplumArgs();
        outer.SetText(LeanplumParams.AppId, "app");
        outer.SetText(LeanplumParams.DeviceId, "outer-device");
        outer.SetText(LeanplumParams.Data, """{"data":[{"action":"track","event":"E"},5]}""");
        var items = outer.MultiItems();
        Assert.Equal(2, items.Count);
        Assert.Null(items[1]);
        Assert.Equal("outer-device", items[0]!.String(LeanplumParams.DeviceId));
        Assert.Equal("track", items[0]!.String(LeanplumParams.Action));
        Assert.Null(items[0]!.String(LeanplumParams.Data));
    }

    [Fact]
    public void Session_PauseAndStop_CountTimeInAppWithoutPauses()
    {
        var start = SessionRules.Apply(null, SessionActivity.Start, T0);
        Assert.True(start.SessionStart);
        var pause = SessionRules.Apply(start.State, SessionActivity.Pause, T0.AddMinutes(10));
        Assert.Equal(600, pause.TimeInAppSeconds);
        var resume = SessionRules.Apply(pause.State, SessionActivity.Resume, T0.AddMinutes(20));
        Assert.False(resume.SessionStart);
        var stop = SessionRules.Apply(resume.State, SessionActivity.Stop, T0.AddMinutes(25));
        Assert.Equal(300, stop.TimeInAppSeconds);
    }

    [Fact]
    public void Session_ResumeAfter30MinutePause_StartsANewSession()
    {
        var start = SessionRules.Apply(null, SessionActivity.Start, T0);
        var pause = SessionRules.Apply(start.State, SessionActivity.Pause, T0.AddMinutes(1));
        var resume = SessionRules.Apply(pause.State, SessionActivity.Resume, T0.AddMinutes(32));
        Assert.True(resume.SessionStart);
    }

    [Fact]
    public void Session_ActivityAfter2HoursIdle_EndsTheOldSessionAtItsLastActivity()
    {
        var start = SessionRules.Apply(null, SessionActivity.Start, T0);
        var track = SessionRules.Apply(start.State, SessionActivity.Other, T0.AddMinutes(5));
        Assert.False(track.SessionStart);
        var late = SessionRules.Apply(track.State, SessionActivity.Other, T0.AddMinutes(5).AddHours(2).AddSeconds(1));
        Assert.True(late.SessionStart);
        Assert.Equal(300, late.TimeInAppSeconds);
    }

    [Fact]
    public void Session_CallsWithoutAnyStart_DoNotInventSessions()
    {
        var first = SessionRules.Apply(null, SessionActivity.Other, T0);
        var second = SessionRules.Apply(first.State, SessionActivity.Other, T0.AddHours(3));
        Assert.False(first.SessionStart || second.SessionStart);
    }

    [Theory]
    [InlineData("Fine name", true)]
    [InlineData("a|b", false)]
    [InlineData("-dash", false)]
    [InlineData("tab\there", false)]
    public void Names_FollowLeanplumRules(string name, bool valid) => Assert.Equal(valid, LeanplumNames.Check("event", name) is null);
}
