using System.Text.Json.Nodes;
using Vigil.Rules;
using static Vigil.Detection.Tests.DetectionTestKit;

namespace Vigil.Detection.Tests;

public sealed class ReplayTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMinutes(1);

    private sealed record Run(ReplaySummary Summary, List<Alert> Alerts, List<ReplayWarning> Warnings)
    {
        public string[] EventIds => Alerts.Select(a => OriginalEventId(a) ?? "<none>").ToArray();
    }

    private static Run Replay(IEnumerable<DetectionRule> rules, ReplayOptions options, params string[] events)
    {
        var warnings = new List<ReplayWarning>();
        var sink = new ListSink();
        var job = new ReplayJob(rules);
        var summary = job.Run([WriteInput(events)], sink, e => throw new InvalidOperationException(e.Render()), options with { OnWarning = warnings.Add });
        return new Run(summary, sink.Alerts, warnings);
    }

    private static Run Replay(DetectionRule rule, ReplayOptions options, params string[] events) => Replay([rule], options, events);

    /// <summary>One execution at <paramref name="t"/>: window [t-6m, t] for Kibana's default from/interval.</summary>
    private static ReplayOptions At(DateTimeOffset t) => new() { Start = t, End = t };

    [Fact]
    public void Window_BothBoundsAreInclusive_AndNothingOutsideIsSearched()
    {
        var now = T0 + (10 * Min);
        var r = Replay(Rule(), At(now),
            Event("at-from", now - (6 * Min)),
            Event("at-to", now),
            Event("before-from", now - (6 * Min) - TimeSpan.FromMilliseconds(1)),
            Event("after-to", now + TimeSpan.FromMilliseconds(1)),
            Event("inside", now - (3 * Min)));
        Assert.Equal(["at-from", "inside", "at-to"], r.EventIds);
        Assert.Equal(1, r.Summary.Executions);
    }

    [Fact]
    public void TimestampOverride_SelectsByOverride_FallsBackToTimestampOnlyWhenTheFieldIsAbsent()
    {
        var now = T0 + (10 * Min);
        var rule = Rule(extra: "timestamp_override = \"event.ingested\"");
        var events = new[]
        {
            Event("ingested-inside", T0 - (60 * Min), ingested: Iso(now - Min)),
            Event("no-ingested", now - (2 * Min)),
            Event("ingested-outside", now - (2 * Min), ingested: Iso(now + (10 * Min))),
        };
        var r = Replay(rule, At(now), events);
        Assert.Equal(["no-ingested", "ingested-inside"], r.EventIds.Order(StringComparer.Ordinal).Reverse());

        var noFallback = Rule(extra: "timestamp_override = \"event.ingested\"\ntimestamp_override_fallback_disabled = true");
        Assert.Equal(["ingested-inside"], Replay(noFallback, At(now), events).EventIds);
    }

    [Fact]
    public void MaxSignals_TruncatesEachExecutionToTheEarliestEvents_WithKibanasWarning()
    {
        var now = T0 + (10 * Min);
        var rule = Rule(extra: "max_signals = 2");
        var r = Replay(rule, At(now),
            Event("third", now - Min),
            Event("first", now - (5 * Min)),
            Event("second", now - (4 * Min)));
        Assert.Equal(["first", "second"], r.EventIds);
        var warning = Assert.Single(r.Warnings);
        Assert.Equal("This rule reached the maximum alert limit for the rule execution. Some alerts were not created.", warning.Message);
        Assert.Equal(now, warning.ExecutionTime);
        Assert.Equal(1, r.Summary.MaxSignalsReached);
        Assert.Contains("max_signals reached in 1", r.Summary.ToString(), StringComparison.Ordinal);

        // Under the limit: no warning.
        var under = Replay(Rule(extra: "max_signals = 3"), At(now), Event("a", now - Min), Event("b", now - (2 * Min)));
        Assert.Empty(under.Warnings);
        Assert.Equal(2, under.Alerts.Count);
    }

    [Fact]
    public void OverlappingWindows_AlertOnce_AtTheFirstExecutionThatSawTheEvent()
    {
        // Executions at T0+5m ([T0-1m, T0+5m]) and T0+10m ([T0+4m, T0+10m]) overlap on [T0+4m, T0+5m].
        var r = Replay(Rule(), new ReplayOptions { Start = T0 + (5 * Min), End = T0 + (10 * Min) },
            Event("in-overlap", T0 + (4.5 * Min)),
            Event("second-only", T0 + (8 * Min)));
        Assert.Equal(["in-overlap", "second-only"], r.EventIds);
        Assert.Equal(1, r.Summary.Scan.DuplicateAlerts);
        Assert.Equal(Iso(T0 + (5 * Min)), r.Alerts[0].Field("@timestamp"));
        Assert.Equal(Iso(T0 + (10 * Min)), r.Alerts[1].Field("@timestamp"));
        Assert.All(r.Alerts, a => Assert.Equal("scheduled", a.Field("kibana.alert.rule.execution.type")));
        Assert.NotEqual(r.Alerts[0].Field("kibana.alert.rule.execution.uuid"), r.Alerts[1].Field("kibana.alert.rule.execution.uuid"));
    }

    [Fact]
    public void AfterAGap_TheNextExecutionAddsKibanasCatchUpWindows()
    {
        // Down from T0+1m to T0+20m: executions at T0+5m, +10m, +15m are skipped. At T0+20m the gap is
        // (20m - 0) - 6m = 14m, so ceil(14/5) = 3 catch-up windows reach back to T0+4m, oldest first.
        var options = new ReplayOptions { Start = T0, End = T0 + (20 * Min), Gaps = [new ReplayGap(T0 + Min, T0 + (20 * Min))] };
        var r = Replay(Rule(), options, Event("during-outage", T0 + (8 * Min)), Event("late", T0 + (19 * Min)));
        Assert.Equal(2, r.Summary.Executions);
        Assert.Equal(["during-outage", "late"], r.EventIds);
        Assert.All(r.Alerts, a => Assert.Equal(Iso(T0 + (20 * Min)), a.Field("@timestamp")));
        Assert.Empty(r.Warnings);

        // Without the gap option every execution runs and the same events alert earlier.
        var regular = Replay(Rule(), options with { Gaps = [] }, Event("during-outage", T0 + (8 * Min)), Event("late", T0 + (19 * Min)));
        Assert.Equal(5, regular.Summary.Executions);
        Assert.Equal(Iso(T0 + (10 * Min)), regular.Alerts[0].Field("@timestamp"));
    }

    [Fact]
    public void AGapLongerThanFourIntervals_LeavesTimeNotQueried_AndSaysSo()
    {
        // Down until T0+40m: gap = 40m - 6m = 34m; at most 4 catch-up windows (20m), so 14m stay unsearched:
        // the windows reach back to T0+40m-6m-20m = T0+14m.
        var options = new ReplayOptions { Start = T0, End = T0 + (40 * Min), Gaps = [new ReplayGap(T0 + Min, T0 + (40 * Min))] };
        var r = Replay(Rule(), options, Event("lost", T0 + (10 * Min)), Event("caught", T0 + (16 * Min)));
        Assert.Equal(["caught"], r.EventIds);
        var warning = Assert.Single(r.Warnings);
        Assert.StartsWith("14 minutes (840000ms) were not queried between this rule execution and the last execution", warning.Message, StringComparison.Ordinal);
        Assert.Equal(1, r.Summary.GapsNotQueried);
    }

    [Fact]
    public void SequenceRules_SeeOnlyTheEventsOfOneWindow()
    {
        var rule = Rule("""
            sequence by host.id with maxspan=1h
              [process where event.action == "fork"]
              [process where event.action == "exec"]
            """);
        JsonObject Host(string id) => new() { ["host"] = new JsonObject { ["id"] = id } };
        var events = new[]
        {
            Event("near-fork", T0 + Min, "fork", more: Host("near")),
            Event("near-exec", T0 + (3 * Min), "exec", more: Host("near")),
            Event("far-fork", T0 + Min, "fork", more: Host("far")),
            Event("far-exec", T0 + (20 * Min), "exec", more: Host("far")),
        };
        var r = Replay(rule, new ReplayOptions { Start = T0, End = T0 + (30 * Min) }, events);
        // One sequence: a shell and two building blocks, for the pair that fits in one 6-minute window.
        Assert.Equal(1, r.Summary.Scan.Sequences);
        Assert.Equal(3, r.Alerts.Count);
        Assert.DoesNotContain(r.Alerts, a => a.Field("host.id") == "far");

        // Streaming sees every event once, so the 19-minute pair is found there (maxspan is 1h).
        var sink = new ListSink();
        var streaming = new ScanJob([rule]).Run([WriteInput(events)], sink, _ => { }, new ScanOptions());
        Assert.Equal(2, streaming.Sequences);
    }

    [Fact]
    public void SequenceFoundByTwoOverlappingWindows_IsCountedOnce()
    {
        var rule = Rule("""
            sequence by host.id with maxspan=1h
              [process where event.action == "fork"]
              [process where event.action == "exec"]
            """);
        var host = new JsonObject { ["host"] = new JsonObject { ["id"] = "h" } };
        // Executions at T0+5m ([T0-1m, T0+5m]) and T0+10m ([T0+4m, T0+10m]) both hold the pair.
        var r = Replay(rule, new ReplayOptions { Start = T0, End = T0 + (10 * Min) },
            Event("fork", T0 + (4.5 * Min), "fork", more: host),
            Event("exec", T0 + (4.8 * Min), "exec", more: (JsonObject)host.DeepClone()));
        Assert.Equal(3, r.Alerts.Count);
        Assert.Equal(3, r.Summary.Scan.DuplicateAlerts);
        Assert.Equal(1, r.Summary.Scan.Sequences);
    }

    [Fact]
    public void SequenceMaxSignals_KeepsTheSequencesThatStartFirst_AndWarns()
    {
        var rule = Rule("""
            sequence by host.id with maxspan=1h
              [process where event.action == "fork"]
              [process where event.action == "exec"]
            """, extra: "max_signals = 1");
        JsonObject Host(string id) => new() { ["host"] = new JsonObject { ["id"] = id } };
        // "b" completes first (at +3m) but "a" starts first (at +1m): Elasticsearch's head position keeps "a".
        var r = Replay(rule, At(T0 + (5 * Min)),
            Event("a-fork", T0 + Min, "fork", more: Host("a")),
            Event("b-fork", T0 + (2 * Min), "fork", more: Host("b")),
            Event("b-exec", T0 + (3 * Min), "exec", more: Host("b")),
            Event("a-exec", T0 + (4 * Min), "exec", more: Host("a")));
        Assert.Equal(["a-fork", "a-exec"], r.EventIds.Skip(1).ToArray());
        Assert.Equal(ReplayWarning.MaxSignalsMessage, Assert.Single(r.Warnings).Message);
    }

    [Fact]
    public void Alerts_ComeInExecutionOrder_AndDefaultStartIsTheEarliestEventTime()
    {
        var a = Rule(ruleId: "aaaaaaaa-1111-4111-8111-111111111111");
        var b = Rule(ruleId: "bbbbbbbb-1111-4111-8111-111111111111", extra: "interval = \"1m\"\nfrom = \"now-2m\"");
        var r = Replay([a, b], new ReplayOptions(),
            Event("late", T0 + (12 * Min)),
            Event("early", T0 + (30 * TimeSpan.FromSeconds(1))),
            Event("first", T0));
        Assert.Equal(T0, r.Summary.Start);
        var times = r.Alerts.Select(x => DateTimeOffset.Parse(x.Field("@timestamp")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
        // Both rules alert on every event once, the last one included (the replay runs until it is covered).
        Assert.Equal(6, r.Alerts.Count);
        Assert.Equal(3, r.Alerts.Count(x => x.Rule.Rule.RuleId == b.RuleId));
        Assert.True(r.Summary.End >= T0 + (12 * Min));
    }

    [Fact]
    public void ExplicitEnd_SchedulesNothingAfterIt()
    {
        var r = Replay(Rule(), new ReplayOptions { Start = T0, End = T0 + (7 * Min) }, Event("in", T0 + (4 * Min)), Event("after-last-execution", T0 + (6 * Min)));
        Assert.Equal(2, r.Summary.Executions); // T0 and T0+5m
        Assert.Equal(["in"], r.EventIds);
    }

    [Fact]
    public void EventsWithoutAnyUsableTime_AreCounted_NotAlerted()
    {
        var r = Replay(Rule(), At(T0), Event("timeless", null), Event("timed", T0));
        Assert.Equal(["timed"], r.EventIds);
        Assert.Equal(1, r.Summary.EventsWithoutTime);
    }
}
