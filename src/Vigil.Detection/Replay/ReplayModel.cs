using System.Globalization;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>A time span during which the emulated scheduler was down: no rule executes inside it.</summary>
/// <param name="From">First instant of the outage.</param>
/// <param name="To">First instant the scheduler runs again.</param>
public sealed record ReplayGap(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>Whether an execution scheduled at <paramref name="t"/> is skipped.</summary>
    public bool Contains(DateTimeOffset t) => t >= From && t < To;
}

/// <summary>How a replay runs.</summary>
public sealed record ReplayOptions
{
    /// <summary>
    /// The earliest start or end a replay takes. Event times are nanoseconds since 1970 in 64 bits (1677 to 2262); replay
    /// keeps well inside so that a rule's look-back from an execution time stays in range too.
    /// </summary>
    public static DateTimeOffset EarliestTime { get; } = new(1700, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The latest start or end a replay takes (see <see cref="EarliestTime"/>).</summary>
    public static DateTimeOffset LatestTime { get; } = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Time of the first execution of every rule; default: the earliest event time in the input (see <see cref="ReplayJob"/>).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>No execution is scheduled after it; default: each rule runs until its window has covered the latest event time.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Scheduler outages: executions inside are skipped and the next one catches up as Kibana does.</summary>
    public IReadOnlyList<ReplayGap> Gaps { get; init; } = [];

    /// <summary>Index for events that carry neither <c>_index</c> nor <c>data_stream.*</c>.</summary>
    public string? DefaultIndex { get; init; }

    /// <summary>Partial sequences kept per stage and rule execution; beyond it the oldest are evicted and counted.</summary>
    public int MaxPendingSequencesPerStage { get; init; } = 100_000;

    /// <summary>Executions one rule may have; a longer replay is refused (a one-minute rule over ten years is a typing error).</summary>
    public int MaxExecutionsPerRule { get; init; } = 1_000_000;

    /// <summary>Called for each warning as it happens (max_signals reached, time not queried after a gap).</summary>
    public Action<ReplayWarning>? OnWarning { get; init; }
}

/// <summary>A warning of one rule execution, as Kibana records it in the rule's execution log.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="ExecutionTime">When the execution ran (emulated).</param>
/// <param name="Message">Kibana's message.</param>
public sealed record ReplayWarning(DetectionRule Rule, DateTimeOffset ExecutionTime, string Message)
{
    /// <summary>Kibana's warning when an execution finds at least <c>max_signals</c> events or sequences.</summary>
    public const string MaxSignalsMessage = "This rule reached the maximum alert limit for the rule execution. Some alerts were not created.";

    /// <summary><c>warning: rule 'NAME' (rule_id) execution at TIME: MESSAGE</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"warning: rule '{Rule.Name}' ({Rule.RuleId}) execution at {ReplayTime.Format(ExecutionTime)}: {Message}");
}

/// <summary>What a replay did, beside what any scan reports.</summary>
/// <param name="Scan">Events read, alerts written, duplicates dropped, excepted events, ...</param>
/// <param name="Start">Time of the first execution.</param>
/// <param name="End">The end of the replay (the last execution is at or before it, or the first at or after it when it was not given).</param>
public sealed record ReplaySummary(ScanSummary Scan, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>Rule executions run (catch-up windows are part of their execution).</summary>
    public long Executions { get; init; }

    /// <summary>Executions that reached <c>max_signals</c>.</summary>
    public long MaxSignalsReached { get; init; }

    /// <summary>Executions after a gap that could not catch up all of it.</summary>
    public long GapsNotQueried { get; init; }

    /// <summary>Events a rule matched that have neither its <c>timestamp_override</c> nor <c>@timestamp</c>, so no window holds them.</summary>
    public long EventsWithoutTime { get; init; }

    /// <summary>
    /// Set when the input has events but no execution's window reaches any of them (for example <c>--start</c> after the
    /// last event): <c>no events between start and end (events span A to B)</c>.
    /// </summary>
    public string? NoEventsWarning { get; init; }

    /// <summary>One line for people, e.g. on stderr.</summary>
    public override string ToString() =>
        Scan + string.Create(CultureInfo.InvariantCulture,
            $"; replay {ReplayTime.Format(Start)} to {ReplayTime.Format(End)}: {Executions} rule executions") +
        (MaxSignalsReached > 0 ? $", max_signals reached in {MaxSignalsReached}" : string.Empty) +
        (GapsNotQueried > 0 ? $", {GapsNotQueried} with time not queried after a gap" : string.Empty) +
        (EventsWithoutTime > 0 ? $", {EventsWithoutTime} matching events without a usable time" : string.Empty);
}

internal static class ReplayTime
{
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static long ToNanos(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);

    /// <summary>A short duration like Kibana's humanized one, with the exact milliseconds beside it.</summary>
    public static string Describe(TimeSpan span)
    {
        var rough = span.TotalDays >= 1 ? $"{span.TotalDays:0.#} days"
            : span.TotalHours >= 1 ? $"{span.TotalHours:0.#} hours"
            : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} minutes"
            : $"{span.TotalSeconds:0.#} seconds";
        return string.Create(CultureInfo.InvariantCulture, $"{rough} ({(long)span.TotalMilliseconds}ms)");
    }
}
