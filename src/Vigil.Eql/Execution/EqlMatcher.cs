using Vigil.Eql.Compilation;
using Vigil.Eql.Syntax;

namespace Vigil.Eql.Execution;

/// <summary>
/// Runs a compiled query over a stream of events given in order (timestamp, then tiebreaker, then arrival) and produces
/// results as soon as they are known. One matcher per query and stream; not thread-safe. Pipes and <c>size</c> are applied
/// by <see cref="EqlRunner"/>, not here.
/// </summary>
/// <remarks>
/// Semantics follow Elasticsearch:
/// <list type="bullet">
/// <item>Event queries: every matching event is a result.</item>
/// <item>Sequences: per stage and join key only the most recent partial sequence can advance; an event matching stage
/// <c>n</c> takes the latest partial sequence at stage <c>n-1</c> with the same key (so a run of first-stage events yields
/// one sequence from the last of them). <c>maxspan</c> bounds the time from the first to the last event, inclusive
/// (<c>maxspan=1s</c> accepts events exactly one second apart). An <c>until</c> event with the same key ends the partial
/// sequences it finds; an event that both advances a sequence and matches <c>until</c> advances it first. <c>with runs=N</c>
/// repeats a stage N times. Sequences are produced in the order they complete.</item>
/// <item>Join keys: a multi-valued key joins on each distinct value (the product of values for several keys). A null key
/// drops the event unless the key is optional (<c>?field</c>); then null joins with null.</item>
/// <item>Missing-event stages <c>![...]</c> are checked when the positive stages complete: a missing stage between two
/// positive events rejects the sequence when an event with the same key matches it between them. Leading missing stages
/// (before the first positive stage) and trailing ones (after the last) are checked together: the sequence is rejected when
/// each of them is matched (a leading event after <c>last - maxspan</c>, a trailing one before <c>first + maxspan</c>) with
/// the whole span, missing events included, within <c>maxspan</c>. A sequence with trailing missing stages is held until that
/// window has closed (an event later than it arrives) or the stream completes. Missing stages are shown as null events.</item>
/// <item>Samples: events need not be ordered nor timestamped. Per join-key combination, one event per stage; a sample's
/// events are distinct; up to <see cref="EqlRunOptions.MaxSamplesPerKey"/> samples per key, the n-th taking each stage's
/// n-th candidate (or its last when it has fewer).</item>
/// </list>
/// </remarks>
public abstract class EqlMatcher
{
    private protected EqlMatcher(CompiledQuery query, EqlRunOptions options)
    {
        Query = query;
        Options = options;
    }

    /// <summary>The query.</summary>
    public CompiledQuery Query { get; }

    /// <summary>The limits in force.</summary>
    public EqlRunOptions Options { get; }

    /// <summary>What the matcher has seen, produced and dropped.</summary>
    public EqlRunStats Stats { get; } = new();

    /// <summary>Creates the matcher for a query: event, sequence or sample.</summary>
    public static EqlMatcher Create(CompiledQuery query, EqlRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= EqlRunOptions.Default;
        return query.Syntax.Body switch
        {
            EventQuery => new EventMatcher(query, options),
            SequenceQuery s => new SequenceMatcher(query, s, options),
            SampleQuery => new SampleMatcher(query, options),
            _ => throw new System.Diagnostics.UnreachableException(query.Syntax.Body.GetType().Name),
        };
    }

    /// <summary>Feeds the next event; results it completes are added to <paramref name="results"/>.</summary>
    public abstract void Push(IEqlEvent e, ICollection<EqlResult> results);

    /// <summary>
    /// Tells the matcher that no event older than <paramref name="watermarkNanos"/> (nanoseconds since the epoch, see
    /// <see cref="EqlTime"/>) will come, so that sequences held for a trailing missing-event window that has closed are
    /// released without waiting for the next event. Live hosts call it on a timer with their reorder window's horizon.
    /// </summary>
    public virtual void AdvanceTo(long watermarkNanos, ICollection<EqlResult> results)
    {
    }

    /// <summary>Ends the stream: releases what was held for windows that can no longer see events.</summary>
    public virtual void Complete(ICollection<EqlResult> results)
    {
    }

    private protected void Emit(EqlResult result, ICollection<EqlResult> results)
    {
        Stats.Results++;
        results.Add(result);
    }
}

/// <summary>Event queries: each matching event is a result.</summary>
internal sealed class EventMatcher : EqlMatcher
{
    private readonly Predicate _filter;

    public EventMatcher(CompiledQuery query, EqlRunOptions options) : base(query, options) => _filter = query.StageFilters[0];

    public override void Push(IEqlEvent e, ICollection<EqlResult> results)
    {
        Stats.EventsSeen++;
        if (_filter(e))
        {
            Emit(new EqlResult([e], []), results);
        }
    }
}
