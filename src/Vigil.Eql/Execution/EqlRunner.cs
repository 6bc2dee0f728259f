using Vigil.Eql.Syntax;

namespace Vigil.Eql.Execution;

/// <summary>
/// Runs a query over a finite, ordered stream of events (a file, a batch) and applies what a search applies after
/// matching: samples sorted by join key (nulls first), then the pipes (<c>head N</c>: the first N results; <c>tail N</c>: the
/// last N) in order, then <see cref="EqlRunOptions.Size"/>. Results are produced lazily; a <c>head</c> stops reading early.
/// </summary>
public sealed class EqlRunner
{
    private readonly CompiledQuery _query;
    private readonly EqlRunOptions _options;

    /// <summary>Creates a runner.</summary>
    public EqlRunner(CompiledQuery query, EqlRunOptions? options = null)
    {
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _options = options ?? EqlRunOptions.Default;
        Matcher = EqlMatcher.Create(query, _options);
    }

    /// <summary>The matcher doing the work (for its <see cref="EqlMatcher.Stats"/>).</summary>
    public EqlMatcher Matcher { get; }

    /// <summary>Counters of the run.</summary>
    public EqlRunStats Stats => Matcher.Stats;

    /// <summary>Runs the query over events given in order (see <see cref="EventOrderer{T}"/> to order them).</summary>
    public IEnumerable<EqlResult> Run(IEnumerable<IEqlEvent> orderedEvents)
    {
        ArgumentNullException.ThrowIfNull(orderedEvents);
        var results = Match(orderedEvents);
        if (_query.Syntax.Body is SampleQuery)
        {
            results = SortByKey(results);
        }
        foreach (var pipe in _query.Syntax.Pipes)
        {
            results = pipe switch
            {
                HeadPipe h => results.Take(h.Count),
                TailPipe t => results.TakeLast(t.Count),
                _ => throw new System.Diagnostics.UnreachableException(pipe.GetType().Name),
            };
        }
        if (_options.Size is { } size)
        {
            results = results.Take(Math.Max(0, size));
        }
        return results;
    }

    private static IEnumerable<EqlResult> SortByKey(IEnumerable<EqlResult> results)
    {
        var list = results.ToList();
        var indexed = list.Select((r, i) => (r, i)).ToList();
        indexed.Sort(static (a, b) =>
        {
            var c = a.r.Key.CompareTo(b.r.Key);
            return c != 0 ? c : a.i.CompareTo(b.i);
        });
        return indexed.Select(x => x.r);
    }

    private IEnumerable<EqlResult> Match(IEnumerable<IEqlEvent> events)
    {
        var buffer = new List<EqlResult>();
        foreach (var e in events)
        {
            Matcher.Push(e, buffer);
            if (buffer.Count > 0)
            {
                foreach (var r in buffer)
                {
                    yield return r;
                }
                buffer.Clear();
            }
        }
        Matcher.Complete(buffer);
        foreach (var r in buffer)
        {
            yield return r;
        }
    }
}
