using System.Security.Cryptography;
using System.Text;
using Vigil.Eql;
using Vigil.Eql.Execution;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>
/// Replays stored events through Kibana's scheduler, rule by rule: an execution every <c>interval</c> from the start, each
/// searching the inclusive window <c>[from, to]</c> resolved at its time, selecting events by <c>timestamp_override</c>
/// (falling back to <c>@timestamp</c> when the event lacks the override field, unless the rule disables the fallback),
/// returning at most <c>max_signals</c> events or sequences with Kibana's warning when the limit is reached, and dropping
/// alerts an earlier execution already created (alert ids are deterministic, so overlapping windows find the same ids).
/// After a scheduler outage (<see cref="ReplayOptions.Gaps"/>) the next execution adds Kibana's catch-up windows.
/// Sequence and sample rules run over the events of each window only, as Elasticsearch does for each search.
/// </summary>
/// <remarks>
/// The input is read once. Kept in memory are the events each event rule matched and the events that can take part in
/// each sequence rule (those passing one of its stage filters), since every execution needs those of its window.
/// </remarks>
public sealed class ReplayJob
{
    private const int MaxCatchupWindows = 4; // Kibana's MAX_RULE_GAP_RATIO
    private readonly DetectionEngine _engine;

    /// <summary>Prepares a replay of <paramref name="rules"/>.</summary>
    public ReplayJob(IEnumerable<DetectionRule> rules, DetectionOptions? options = null) =>
        _engine = new DetectionEngine(rules, (options ?? new DetectionOptions()) with { ExecutionType = "scheduled" });

    /// <summary>Replays with an engine already built (for example a <see cref="ScanJob"/>'s), so rules compile once.</summary>
    public ReplayJob(DetectionEngine engine) => _engine = engine ?? throw new ArgumentNullException(nameof(engine));

    /// <summary>The engine (rules running and skipped).</summary>
    public DetectionEngine Engine => _engine;

    /// <summary>An event kept for the windows of one rule.</summary>
    private readonly record struct Held(EventRecord Event, string? Index, long WindowNanos, long OrderNanos, EqlValue Tiebreaker, long Arrival, bool Excepted);

    private sealed class RuleState(ActiveRule rule, int order)
    {
        public ActiveRule Rule { get; } = rule;

        public int Order { get; } = order;

        public FieldRef? Override { get; init; }

        public required FieldRef Timestamp { get; init; }

        public List<Held> Held { get; } = [];

        public HashSet<long> ExceptedSeen { get; } = [];

        public long WithoutTime { get; set; }

        public bool IsSequence => !Rule.Query.IsEventQuery;

        /// <summary>The event's time for window selection: the override field, else <c>@timestamp</c> when fallback is allowed.</summary>
        public bool TryWindowTime(EventRecord e, out long nanos)
        {
            if (Override is { } field)
            {
                var value = e.Get(field);
                if (!value.IsNull)
                {
                    return EqlTime.TryGetNanos(value, out nanos);
                }
                if (Rule.Rule.TimestampOverrideFallbackDisabled == true)
                {
                    nanos = 0;
                    return false;
                }
            }
            return EqlTime.TryGetNanos(e.Get(Timestamp), out nanos);
        }
    }

    private sealed record Execution(RuleState State, DateTimeOffset Time, List<(long From, long To)> Windows, TimeSpan NotQueried);

    /// <summary>Reads every input (<c>-</c> is stdin), runs the scheduled executions in time order and writes their alerts to <paramref name="sink"/>.</summary>
    public ReplaySummary Run(IEnumerable<string> inputs, IAlertSink sink, Action<InputError> onError, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        var timestampField = _engine.Fields.Get("@timestamp");
        var states = _engine.Rules.Concat(_engine.SequenceRules)
            .Select((r, i) => new RuleState(r, i)
            {
                Override = r.Rule.TimestampOverride is { } o ? _engine.Fields.Get(o) : null,
                Timestamp = timestampField,
            })
            .ToList();
        var byRule = states.ToDictionary(s => s.Rule);
        var timeFields = states.Where(s => s.Override is not null).Select(s => s.Override!).Append(timestampField).Distinct().ToList();

        // Pass 1: keep what each rule's windows will need.
        var reader = new NdjsonReader(_engine.Projection, onError, new NdjsonReaderOptions { DefaultIndex = options.DefaultIndex });
        long arrival = 0, minTime = long.MaxValue, maxTime = long.MinValue;
        foreach (var input in inputs)
        {
            foreach (var e in reader.ReadPath(input))
            {
                arrival++;
                foreach (var f in timeFields)
                {
                    if (EqlTime.TryGetNanos(e.Get(f), out var t))
                    {
                        minTime = Math.Min(minTime, t);
                        maxTime = Math.Max(maxTime, t);
                    }
                }
                var index = _engine.ResolveIndex(e);
                foreach (var rule in _engine.RulesFor(index))
                {
                    if (rule.Query.Matches(e))
                    {
                        Hold(byRule[rule], e, index, arrival);
                    }
                }
                foreach (var rule in _engine.SequenceRules)
                {
                    if (_engine.ReadsIndex(rule, index) && rule.Query.CouldMatch(e))
                    {
                        Hold(byRule[rule], e, index, arrival);
                    }
                }
            }
        }
        foreach (var state in states)
        {
            state.Held.Sort(CompareOrder);
        }

        var start = options.Start ?? (minTime == long.MaxValue ? DateTimeOffset.UtcNow : ReplayTime.FromNanos(minTime));
        var latest = options.End ?? (maxTime == long.MinValue ? start : ReplayTime.FromNanos(maxTime));
        if (options.End is { } givenEnd && givenEnd < start)
        {
            throw new ArgumentException($"the end {ReplayTime.Format(givenEnd)} is before the start {ReplayTime.Format(start)}{(options.Start is null ? " (the earliest event time)" : string.Empty)}");
        }
        var executions = new List<Execution>();
        foreach (var state in states)
        {
            executions.AddRange(Schedule(state, start, latest, untilCovered: options.End is null, options));
        }
        string? noEvents = null;
        if (minTime != long.MaxValue && executions.Count > 0)
        {
            var searchedFrom = executions.SelectMany(x => x.Windows).Min(w => w.From);
            var searchedTo = executions.SelectMany(x => x.Windows).Max(w => w.To);
            if (maxTime < searchedFrom || minTime > searchedTo)
            {
                noEvents = $"no events between start and end (events span {ReplayTime.Format(ReplayTime.FromNanos(minTime))} to {ReplayTime.Format(ReplayTime.FromNanos(maxTime))})";
            }
        }
        executions.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.State.Order.CompareTo(b.State.Order));

        // Pass 2: the executions in time order.
        long sequences = 0, evictions = 0, reached = 0, notQueried = 0;
        var output = new DedupingAlertWriter(sink);
        // Whether the first alert of the batch was new (for a sequence: its shell).
        bool Emit(IEnumerable<Alert> batch) => output.Write(batch);
        var end = latest;
        foreach (var execution in executions)
        {
            var state = execution.State;
            var rule = state.Rule;
            var run = new RuleExecution(ExecutionUuid(rule, execution.Time), execution.Time, "scheduled");
            end = execution.Time > end ? execution.Time : end;
            if (execution.NotQueried > TimeSpan.Zero)
            {
                notQueried++;
                options.OnWarning?.Invoke(new ReplayWarning(rule.Rule, execution.Time,
                    $"{ReplayTime.Describe(execution.NotQueried)} were not queried between this rule execution and the last execution, so alerts may have been missed. Consider a longer look-back (from) for this rule."));
            }
            var limit = rule.Rule.EffectiveMaxSignals;
            var limited = false;
            foreach (var (from, to) in execution.Windows)
            {
                var inWindow = new List<Held>();
                for (var i = 0; i < state.Held.Count; i++)
                {
                    var h = state.Held[i];
                    if (h.WindowNanos < from || h.WindowNanos > to)
                    {
                        continue;
                    }
                    if (h.Excepted)
                    {
                        // Kibana's exception filter is part of the search: excepted events neither alert nor count to max_signals.
                        state.ExceptedSeen.Add(h.Arrival);
                        continue;
                    }
                    inWindow.Add(h);
                }
                if (!state.IsSequence)
                {
                    limited |= inWindow.Count >= limit;
                    Emit(inWindow.Take(limit).Select(h => AlertBuilder.Build(rule, h.Event, h.Index, _engine.Options, run)));
                    continue;
                }
                var matcher = EqlMatcher.Create(rule.Query, new EqlRunOptions { MaxPendingSequencesPerStage = options.MaxPendingSequencesPerStage });
                var results = new List<EqlResult>();
                foreach (var h in inWindow)
                {
                    matcher.Push(h.Event, results);
                }
                matcher.Complete(results);
                evictions += matcher.Stats.SequencesEvicted;
                limited |= results.Count >= limit;
                // Elasticsearch returns the first sequences by their first event (result_position "head"), not by completion.
                var position = new Dictionary<EventRecord, int>(ReferenceEqualityComparer.Instance);
                for (var i = 0; i < inWindow.Count; i++)
                {
                    position.TryAdd(inWindow[i].Event, i);
                }
                var ordered = results.OrderBy(r => r.Events.OfType<EventRecord>().Select(e => position[e]).DefaultIfEmpty(int.MaxValue).First());
                foreach (var result in ordered.Take(limit))
                {
                    var events = result.Events.OfType<EventRecord>().ToList();
                    // A sequence an earlier, overlapping window already found is a duplicate, not another sequence.
                    if (events.Count > 0 && Emit(_engine.BuildSequenceAlerts(rule, events, run)))
                    {
                        sequences++;
                    }
                }
            }
            if (limited)
            {
                reached++;
                options.OnWarning?.Invoke(new ReplayWarning(rule.Rule, execution.Time, ReplayWarning.MaxSignalsMessage));
            }
        }
        sink.Flush();
        foreach (var state in states)
        {
            state.Rule.CountExcepted(state.ExceptedSeen.Count);
        }
        var scan = new ScanSummary(reader.EventsRead, reader.BadLines, states.Count, _engine.Skipped.Count, output.Written, output.Duplicates)
        {
            FailedInputs = reader.FailedInputs,
            Sequences = sequences,
            SequenceStateEvictions = evictions,
            ExceptedEvents = states.Sum(s => (long)s.ExceptedSeen.Count),
        };
        return new ReplaySummary(scan, start, end)
        {
            Executions = executions.Count,
            MaxSignalsReached = reached,
            GapsNotQueried = notQueried,
            EventsWithoutTime = states.Sum(s => s.WithoutTime),
            NoEventsWarning = noEvents,
        };
    }

    private static void Hold(RuleState state, EventRecord e, string? index, long arrival)
    {
        if (!state.TryWindowTime(e, out var windowNanos))
        {
            state.WithoutTime++;
            return;
        }
        var query = state.Rule.Query;
        var timed = EqlTime.TryGetNanos(e.Get(query.TimestampField), out var orderNanos);
        if (!timed && state.IsSequence)
        {
            // A sequence cannot place an event without its ordering timestamp (Elasticsearch would not return it either).
            state.WithoutTime++;
            return;
        }
        var tiebreaker = query.TiebreakerField is { } tb ? e.Get(tb) : EqlValue.Null;
        var excepted = state.Rule.Exceptions is { } exceptions && exceptions.Match(e.ToJsonObject()) is not null;
        state.Held.Add(new Held(e, index, windowNanos, timed ? orderNanos : long.MinValue, tiebreaker, arrival, excepted));
    }

    /// <summary>EQL order: the rule's timestamp field, then its tiebreaker (nulls last), then input order.</summary>
    private static int CompareOrder(Held a, Held b)
    {
        var c = a.OrderNanos.CompareTo(b.OrderNanos);
        if (c != 0)
        {
            return c;
        }
        var ta = a.Tiebreaker.Kind == EqlValueKind.Array ? a.Tiebreaker.AsArray[0] : a.Tiebreaker;
        var tb = b.Tiebreaker.Kind == EqlValueKind.Array ? b.Tiebreaker.AsArray[0] : b.Tiebreaker;
        if (ta.IsNull != tb.IsNull)
        {
            return ta.IsNull ? 1 : -1;
        }
        if (!ta.IsNull)
        {
            c = ta.IsNumber && tb.IsNumber
                ? ta.AsDouble.CompareTo(tb.AsDouble)
                : string.CompareOrdinal(ta.ToString(), tb.ToString());
            if (c != 0)
            {
                return c;
            }
        }
        return a.Arrival.CompareTo(b.Arrival);
    }

    /// <summary>
    /// The executions of one rule: at <paramref name="start"/> and every interval after it, skipping those inside a gap.
    /// Each has Kibana's windows (<c>getRuleRangeTuples</c>): the regular <c>[from, to]</c> and, when the time since the
    /// previous execution exceeds the window width, up to four catch-up windows of the same width, each one interval earlier.
    /// </summary>
    private static List<Execution> Schedule(RuleState state, DateTimeOffset start, DateTimeOffset end, bool untilCovered, ReplayOptions options)
    {
        var rule = state.Rule.Rule;
        if (!RuleSchedule.TryParseInterval(rule.EffectiveInterval, out var interval) || interval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"rule '{rule.Name}' ({rule.RuleId}): interval '{rule.EffectiveInterval}' is not a positive <n><s|m|h|d> duration");
        }
        var list = new List<Execution>();
        DateTimeOffset? previous = null;
        for (var t = start; untilCovered || t <= end; t += interval)
        {
            if (list.Count >= options.MaxExecutionsPerRule)
            {
                throw new ArgumentException($"rule '{rule.Name}' ({rule.RuleId}) would run more than {options.MaxExecutionsPerRule} times between {ReplayTime.Format(start)} and {ReplayTime.Format(end)} (interval {rule.EffectiveInterval}); choose a shorter replay");
            }
            if (options.Gaps.Any(g => g.Contains(t)))
            {
                continue;
            }
            var resolved = RuleSchedule.TryResolveDateMath(rule.EffectiveFrom, t, out var from) & RuleSchedule.TryResolveDateMath(rule.EffectiveTo, t, out var to);
            if (!RuleSchedule.IsValidDateMath(rule.EffectiveFrom) || !RuleSchedule.IsValidDateMath(rule.EffectiveTo))
            {
                throw new ArgumentException($"rule '{rule.Name}' ({rule.RuleId}): from '{rule.EffectiveFrom}' or to '{rule.EffectiveTo}' is not date math");
            }
            // Well-formed, but resolved at this execution time it leaves the dates a window can hold (event times are
            // 64-bit nanoseconds since 1970): say so rather than blame the rule.
            if (!resolved || from < ReplayOptions.EarliestTime.AddYears(-20) || to > ReplayOptions.LatestTime.AddYears(20))
            {
                throw new ArgumentException($"rule '{rule.Name}' ({rule.RuleId}): the window from '{rule.EffectiveFrom}' to '{rule.EffectiveTo}' of the execution at {ReplayTime.Format(t)} is out of range");
            }
            var windows = new List<(long From, long To)>();
            var notQueried = TimeSpan.Zero;
            if (previous is { } prev)
            {
                var gap = (t - prev) - (to - from);
                if (gap > TimeSpan.Zero)
                {
                    var catchup = (int)Math.Min(Math.Ceiling(gap / interval), MaxCatchupWindows);
                    // Oldest first, as Kibana reverses its tuple list before running it.
                    for (var i = catchup; i >= 1; i--)
                    {
                        windows.Add((ReplayTime.ToNanos(from - (i * interval)), ReplayTime.ToNanos(to - (i * interval))));
                    }
                    var remaining = gap - (catchup * interval);
                    notQueried = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
                }
            }
            windows.Add((ReplayTime.ToNanos(from), ReplayTime.ToNanos(to)));
            list.Add(new Execution(state, t, windows, notQueried));
            previous = t;
            if (untilCovered && to >= end)
            {
                break;
            }
        }
        return list;
    }

    /// <summary>A stable execution id from the rule and the time, so a replay's output is the same every time.</summary>
    private static string ExecutionUuid(ActiveRule rule, DateTimeOffset time)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"vigil-replay:{rule.Uuid}:{time.UtcTicks}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
