using System.Text.Json;
using Vigil.Eql;
using Vigil.Eql.Execution;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>Settings for live detection.</summary>
public sealed record LiveOptions
{
    /// <summary>
    /// How long sequence and sample rules wait for late events before matching (events are released in time order once
    /// they are this much older than the newest seen). Event rules never wait.
    /// </summary>
    public TimeSpan ReorderWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Partial sequences kept per stage and rule; beyond it the oldest are evicted and counted.</summary>
    public int MaxPendingSequencesPerStage { get; init; } = 100_000;
}

/// <summary>
/// Detection over a live stream of JSON events (the sensor, a message queue): event rules alert as soon as an event
/// arrives; sequence and sample rules match over a short reorder window. Not thread-safe: feed it from one thread.
/// </summary>
public sealed class LiveDetector
{
    private readonly DetectionEngine _engine;
    private readonly RuleExecution _execution;
    private readonly List<(ActiveRule Rule, EqlMatcher Matcher, ReorderWindow<EventRecord> Window)> _sequences = [];
    private readonly List<EventRecord> _released = [];
    private readonly List<EqlResult> _results = [];
    private long _events;

    /// <summary>Prepares live detection with <paramref name="rules"/>.</summary>
    public LiveDetector(IEnumerable<DetectionRule> rules, DetectionOptions? options = null, LiveOptions? live = null)
    {
        live ??= new LiveOptions();
        _engine = new DetectionEngine(rules, (options ?? new DetectionOptions()) with { ExecutionType = "streaming" });
        _execution = RuleExecution.Start(_engine.Options.Time, "streaming");
        var runOptions = new EqlRunOptions { MaxPendingSequencesPerStage = live.MaxPendingSequencesPerStage };
        foreach (var rule in _engine.SequenceRules)
        {
            var window = new ReorderWindow<EventRecord>(rule.Query.TimestampField, rule.Query.TiebreakerField, live.ReorderWindow);
            window.LateEvent = _ => LateEvents++;
            _sequences.Add((rule, EqlMatcher.Create(rule.Query, runOptions), window));
        }
    }

    /// <summary>The engine (rules running and skipped).</summary>
    public DetectionEngine Engine => _engine;

    /// <summary>Events seen.</summary>
    public long Events => _events;

    /// <summary>Events that arrived later than the reorder window allowed (they could not join sequences).</summary>
    public long LateEvents { get; private set; }

    /// <summary>Lines that were not JSON objects.</summary>
    public long BadEvents { get; private set; }

    /// <summary>Processes one JSON event; alerts go to <paramref name="alerts"/>.</summary>
    public void Process(ReadOnlySpan<byte> json, ICollection<Alert> alerts, string source = "live")
    {
        ArgumentNullException.ThrowIfNull(alerts);
        EventRecord record;
        try
        {
            record = EventRecord.FromJson(json, _engine.Projection, source, ++_events);
        }
        catch (JsonException)
        {
            BadEvents++;
            return;
        }
        // Routed by category and by the values rules require: the same alerts as trying every rule, for less work.
        _engine.Process(record, alerts, _execution, categoryRouting: true, valueRouting: true);
        foreach (var (rule, matcher, window) in _sequences)
        {
            var index = _engine.ResolveIndex(record);
            if (!_engine.ReadsIndex(rule, index) || !rule.Query.CouldMatch(record))
            {
                continue;
            }
            _released.Clear();
            window.Push(record, _released);
            foreach (var e in _released)
            {
                matcher.Push(e, _results);
            }
            Drain(rule, alerts);
        }
    }

    /// <summary>Releases everything still held (end of stream) and completes pending sequences.</summary>
    public void Complete(ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        foreach (var (rule, matcher, window) in _sequences)
        {
            _released.Clear();
            window.Flush(_released);
            foreach (var e in _released)
            {
                matcher.Push(e, _results);
            }
            matcher.Complete(_results);
            Drain(rule, alerts);
        }
    }

    private void Drain(ActiveRule rule, ICollection<Alert> alerts)
    {
        foreach (var result in _results)
        {
            var events = result.Events.OfType<EventRecord>().ToList();
            if (events.Count > 0)
            {
                foreach (var a in _engine.BuildSequenceAlerts(rule, events, _execution))
                {
                    alerts.Add(a);
                }
            }
        }
        _results.Clear();
    }
}
