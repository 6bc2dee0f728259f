using Vigil.Eql.Compilation;

namespace Vigil.Eql.Execution;

/// <summary>Sample queries; see <see cref="EqlMatcher"/> for the semantics.</summary>
internal sealed class SampleMatcher : EqlMatcher
{
    private readonly Predicate[] _filters;
    private readonly KeyEvaluator[] _keys;
    private readonly Dictionary<JoinKey, State> _states = [];
    private readonly Queue<JoinKey> _order = new();
    private readonly List<JoinKey> _keyBuffer = [];
    private readonly int _perKey;
    private readonly int _candidatesPerStage;

    public SampleMatcher(CompiledQuery query, EqlRunOptions options) : base(query, options)
    {
        _filters = query.StageFilters;
        _keys = query.StageKeyEvaluators;
        _perKey = Math.Max(1, options.MaxSamplesPerKey);
        // A stage keeps a few more candidates than samples so that samples can still pick distinct events.
        _candidatesPerStage = _perKey + _filters.Length;
    }

    public override void Push(IEqlEvent e, ICollection<EqlResult> results)
    {
        Stats.EventsSeen++;
        for (var s = 0; s < _filters.Length; s++)
        {
            if (!_filters[s](e))
            {
                continue;
            }
            if (!_keys[s].Evaluate(e, _keyBuffer))
            {
                Stats.EventsWithNullKey++;
                continue;
            }
            foreach (var key in _keyBuffer)
            {
                if (!_states.TryGetValue(key, out var state))
                {
                    if (_states.Count >= Options.MaxSampleKeys)
                    {
                        Evict();
                    }
                    _states[key] = state = new State(_filters.Length);
                    _order.Enqueue(key);
                }
                if (state.Emitted >= _perKey)
                {
                    continue;
                }
                var list = state.Candidates[s];
                if (list.Count < _candidatesPerStage && !list.Contains(e))
                {
                    list.Add(e);
                    TryEmit(key, state, results);
                }
            }
        }
    }

    private void Evict()
    {
        while (_order.TryDequeue(out var oldest))
        {
            if (_states.Remove(oldest))
            {
                Stats.SampleKeysEvicted++;
                return;
            }
        }
    }

    private void TryEmit(JoinKey key, State state, ICollection<EqlResult> results)
    {
        while (state.Emitted < _perKey)
        {
            var j = state.Emitted;
            var most = 0;
            foreach (var c in state.Candidates)
            {
                if (c.Count == 0)
                {
                    return;
                }
                most = Math.Max(most, c.Count);
            }
            if (most <= j)
            {
                return;
            }
            var sample = new IEqlEvent?[state.Candidates.Length];
            for (var s = 0; s < sample.Length; s++)
            {
                var c = state.Candidates[s];
                var pick = Pick(c, Math.Min(j, c.Count - 1), sample, s);
                if (pick is null)
                {
                    return;
                }
                sample[s] = pick;
            }
            state.Emitted++;
            if (state.Emitted >= _perKey)
            {
                foreach (var c in state.Candidates)
                {
                    c.Clear();
                }
            }
            Emit(new EqlResult(sample, key.ToList()) { Key = key }, results);
        }
    }

    private static IEqlEvent? Pick(List<IEqlEvent> candidates, int preferred, IEqlEvent?[] taken, int filled)
    {
        for (var k = 0; k < candidates.Count; k++)
        {
            var i = (preferred + k) % candidates.Count;
            var e = candidates[i];
            if (Array.IndexOf(taken, e, 0, filled) < 0)
            {
                return e;
            }
        }
        return null;
    }

    private sealed class State
    {
        public State(int stages)
        {
            Candidates = new List<IEqlEvent>[stages];
            for (var i = 0; i < stages; i++)
            {
                Candidates[i] = [];
            }
        }

        public List<IEqlEvent>[] Candidates { get; }

        public int Emitted { get; set; }
    }
}
