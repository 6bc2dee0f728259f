namespace Vigil.Eql.Execution;

/// <summary>
/// One result of a query: for an event query the matching event; for a sequence its events in stage order (null for a
/// missing-event stage, and one entry per run of a <c>with runs=N</c> stage); for a sample one event per stage in stage order.
/// </summary>
public sealed class EqlResult
{
    internal EqlResult(IReadOnlyList<IEqlEvent?> events, IReadOnlyList<EqlValue> joinKeys)
    {
        Events = events;
        JoinKeys = joinKeys;
    }

    /// <summary>The events; null marks a missing-event stage.</summary>
    public IReadOnlyList<IEqlEvent?> Events { get; }

    /// <summary>The join key values (query-level <c>by</c> keys, then the stages' own keys); empty without keys.</summary>
    public IReadOnlyList<EqlValue> JoinKeys { get; }

    internal JoinKey Key { get; init; }
}

/// <summary>Limits and query parameters for running a query. Defaults are safe for long-running hosts.</summary>
public sealed record EqlRunOptions
{
    /// <summary>Default options.</summary>
    public static readonly EqlRunOptions Default = new();

    /// <summary>
    /// Maximum number of results (events, sequences or samples) a batch run returns after the pipes, like Elasticsearch's
    /// <c>size</c> (whose API default is 10); null for no limit. Streaming matchers ignore it.
    /// </summary>
    public int? Size { get; init; }

    /// <summary>Samples collected per join-key combination (Elasticsearch's <c>max_samples_per_key</c>, default 1).</summary>
    public int MaxSamplesPerKey { get; init; } = 1;

    /// <summary>
    /// In-flight partial sequences kept per stage (one per join key). Past it the least recently advanced one is evicted and
    /// counted in <see cref="EqlRunStats.SequencesEvicted"/>.
    /// </summary>
    public int MaxPendingSequencesPerStage { get; init; } = 100_000;

    /// <summary>Join-key combinations a sample query tracks; past it the oldest is evicted and counted.</summary>
    public int MaxSampleKeys { get; init; } = 100_000;

    /// <summary>Missing-event occurrences remembered per missing stage and key (older ones are evicted and counted).</summary>
    public int MaxMissingEventsPerKey { get; init; } = 1_024;

    /// <summary>Sequences whose trailing missing-event window is still open, held before release; past it the oldest is released early and counted.</summary>
    public int MaxHeldSequences { get; init; } = 100_000;
}

/// <summary>Counters a run keeps so that nothing is dropped silently. Not thread-safe: one per matcher.</summary>
public sealed class EqlRunStats
{
    /// <summary>Events given to the matcher.</summary>
    public long EventsSeen { get; internal set; }

    /// <summary>Events a sequence could not use because their timestamp is missing or unparseable.</summary>
    public long EventsWithoutTimestamp { get; internal set; }

    /// <summary>Events that arrived with an earlier timestamp than one already processed (ordering is the caller's job).</summary>
    public long EventsOutOfOrder { get; internal set; }

    /// <summary>Events dropped by a join key that is null and not optional.</summary>
    public long EventsWithNullKey { get; internal set; }

    /// <summary>Partial sequences started.</summary>
    public long SequencesStarted { get; internal set; }

    /// <summary>Sequences completed (before missing-event checks and pipes).</summary>
    public long SequencesCompleted { get; internal set; }

    /// <summary>Partial sequences dropped because the per-stage limit was reached.</summary>
    public long SequencesEvicted { get; internal set; }

    /// <summary>Partial sequences that could not continue because <c>maxspan</c> had passed.</summary>
    public long SequencesExpired { get; internal set; }

    /// <summary>Partial sequences ended by an <c>until</c> event.</summary>
    public long SequencesEndedByUntil { get; internal set; }

    /// <summary>Completed sequences rejected because an event matched a missing-event stage.</summary>
    public long SequencesRejectedByMissingEvent { get; internal set; }

    /// <summary>Held sequences (trailing missing-event window still open) released early because the hold limit was reached.</summary>
    public long HeldSequencesReleasedEarly { get; internal set; }

    /// <summary>Missing-event occurrences forgotten because the per-key limit was reached.</summary>
    public long MissingEventsEvicted { get; internal set; }

    /// <summary>Sample join-key combinations evicted because the key limit was reached.</summary>
    public long SampleKeysEvicted { get; internal set; }

    /// <summary>Results produced (before pipes and size).</summary>
    public long Results { get; internal set; }

    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"events={EventsSeen} untimed={EventsWithoutTimestamp} out_of_order={EventsOutOfOrder} null_key={EventsWithNullKey} ") +
        FormattableString.Invariant($"seq_started={SequencesStarted} seq_completed={SequencesCompleted} seq_evicted={SequencesEvicted} seq_expired={SequencesExpired} ") +
        FormattableString.Invariant($"seq_until={SequencesEndedByUntil} seq_missing_rejected={SequencesRejectedByMissingEvent} held_released_early={HeldSequencesReleasedEarly} ") +
        FormattableString.Invariant($"missing_evicted={MissingEventsEvicted} sample_keys_evicted={SampleKeysEvicted} results={Results}");
}
