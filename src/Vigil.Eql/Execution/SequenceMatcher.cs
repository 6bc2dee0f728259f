using Vigil.Eql.Compilation;
using Vigil.Eql.Syntax;

namespace Vigil.Eql.Execution;

/// <summary>Sequence queries; see <see cref="EqlMatcher"/> for the semantics.</summary>
internal sealed class SequenceMatcher : EqlMatcher
{
    private readonly Predicate[] _filters;
    private readonly KeyEvaluator[] _keys;
    private readonly bool[] _missing;
    private readonly int[] _prevPositive;
    private readonly int[] _nextPositive;
    private readonly int _firstPositive;
    private readonly int _lastPositive;
    private readonly int[] _positiveDescending;
    private readonly int[] _missingStages;
    private readonly bool _hasLeading;
    private readonly bool _hasTrailing;
    private readonly long _maxSpan;
    private readonly FieldRef _timestamp;
    private readonly Predicate? _until;
    private readonly KeyEvaluator? _untilKeys;

    private readonly Dictionary<JoinKey, Partial>[] _inflight;
    private readonly Queue<(JoinKey Key, Partial Partial)>[] _insertion;
    private readonly Dictionary<JoinKey, MissingList>?[] _history;
    private readonly Queue<Candidate> _held = new();
    private readonly PriorityQueue<Candidate, long> _deadlines = new();
    private readonly Dictionary<JoinKey, List<Candidate>> _pendingByKey = [];
    private readonly List<JoinKey> _keyBuffer = [];
    private long _index;
    private long _lastTs = long.MinValue;

    public SequenceMatcher(CompiledQuery query, SequenceQuery syntax, EqlRunOptions options) : base(query, options)
    {
        var filters = new List<Predicate>();
        var keys = new List<KeyEvaluator>();
        var missing = new List<bool>();
        for (var i = 0; i < syntax.Stages.Length; i++)
        {
            for (var r = 0; r < syntax.Stages[i].Runs; r++)
            {
                filters.Add(query.StageFilters[i]);
                keys.Add(query.StageKeyEvaluators[i]);
                missing.Add(syntax.Stages[i].Missing);
            }
        }
        _filters = [.. filters];
        _keys = [.. keys];
        _missing = [.. missing];
        var n = _filters.Length;
        _prevPositive = new int[n];
        _nextPositive = new int[n];
        var prev = -1;
        for (var i = 0; i < n; i++)
        {
            _prevPositive[i] = prev;
            if (!_missing[i])
            {
                prev = i;
            }
        }
        var next = -1;
        for (var i = n - 1; i >= 0; i--)
        {
            _nextPositive[i] = next;
            if (!_missing[i])
            {
                next = i;
            }
        }
        _firstPositive = Array.IndexOf(_missing, false);
        _lastPositive = Array.LastIndexOf(_missing, false);
        _positiveDescending = Enumerable.Range(0, n).Where(i => !_missing[i]).Reverse().ToArray();
        _missingStages = Enumerable.Range(0, n).Where(i => _missing[i]).ToArray();
        _hasLeading = _firstPositive > 0;
        _hasTrailing = _lastPositive < n - 1;
        _maxSpan = syntax.MaxSpan is { } span ? span.Ticks * 100 : 0;
        _timestamp = query.TimestampRef!;
        _until = query.UntilFilter;
        _untilKeys = query.UntilKeyEvaluator;
        _inflight = new Dictionary<JoinKey, Partial>[n];
        _insertion = new Queue<(JoinKey, Partial)>[n];
        _history = new Dictionary<JoinKey, MissingList>?[n];
        for (var i = 0; i < n; i++)
        {
            _inflight[i] = [];
            _insertion[i] = new Queue<(JoinKey, Partial)>();
            if (_missing[i])
            {
                _history[i] = [];
            }
        }
    }

    public override void Push(IEqlEvent e, ICollection<EqlResult> results)
    {
        Stats.EventsSeen++;
        if (!EqlTime.TryGetNanos(e.Get(_timestamp), out var ts))
        {
            Stats.EventsWithoutTimestamp++;
            return;
        }
        if (ts < _lastTs)
        {
            Stats.EventsOutOfOrder++;
        }
        else
        {
            _lastTs = ts;
        }
        var index = _index++;

        foreach (var m in _missingStages)
        {
            if (_filters[m](e))
            {
                RecordMissing(m, e, index, ts);
            }
        }
        ReleaseClosedWindows(ts, results);

        foreach (var s in _positiveDescending)
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
                Advance(s, key, e, index, ts, results);
            }
        }

        if (_until is not null && _until(e))
        {
            if (_untilKeys!.Evaluate(e, _keyBuffer))
            {
                foreach (var key in _keyBuffer)
                {
                    for (var s = 0; s < _inflight.Length; s++)
                    {
                        if (_inflight[s].Remove(key))
                        {
                            Stats.SequencesEndedByUntil++;
                        }
                    }
                }
            }
        }
    }

    public override void AdvanceTo(long watermarkNanos, ICollection<EqlResult> results) => ReleaseClosedWindows(watermarkNanos, results);

    public override void Complete(ICollection<EqlResult> results)
    {
        foreach (var c in _held)
        {
            if (c.State == CandidateState.Pending)
            {
                c.State = CandidateState.Accepted;
            }
        }
        _deadlines.Clear();
        _pendingByKey.Clear();
        Drain(results);
    }

    private void Advance(int stage, JoinKey key, IEqlEvent e, long index, long ts, ICollection<EqlResult> results)
    {
        Partial? p;
        if (stage == _firstPositive)
        {
            p = new Partial(_filters.Length, ts);
            Stats.SequencesStarted++;
        }
        else
        {
            var from = _prevPositive[stage];
            if (!_inflight[from].Remove(key, out p))
            {
                return;
            }
            if (_maxSpan > 0 && ts - p.StartTs > _maxSpan)
            {
                Stats.SequencesExpired++;
                return;
            }
        }
        p.Events[stage] = e;
        p.Indexes[stage] = index;
        p.LastTs = ts;
        if (stage == _lastPositive)
        {
            Completed(p, key, results);
            return;
        }
        var map = _inflight[stage];
        map[key] = p;
        var order = _insertion[stage];
        order.Enqueue((key, p));
        Trim(stage, ts);
    }

    /// <summary>Keeps a stage within its limit: expired partials go first, then the least recently advanced.</summary>
    private void Trim(int stage, long now)
    {
        var map = _inflight[stage];
        var order = _insertion[stage];
        while (order.Count > 0)
        {
            var (key, p) = order.Peek();
            var live = map.TryGetValue(key, out var current) && ReferenceEquals(current, p);
            if (!live)
            {
                order.Dequeue();
                continue;
            }
            if (_maxSpan > 0 && now - p.StartTs > _maxSpan)
            {
                order.Dequeue();
                map.Remove(key);
                Stats.SequencesExpired++;
                continue;
            }
            if (map.Count > Options.MaxPendingSequencesPerStage)
            {
                order.Dequeue();
                map.Remove(key);
                Stats.SequencesEvicted++;
                continue;
            }
            break;
        }
        if (order.Count > (2 * map.Count) + 64)
        {
            var live = order.Where(x => map.TryGetValue(x.Key, out var c) && ReferenceEquals(c, x.Partial)).ToArray();
            order.Clear();
            foreach (var x in live)
            {
                order.Enqueue(x);
            }
        }
    }

    private void Completed(Partial p, JoinKey key, ICollection<EqlResult> results)
    {
        Stats.SequencesCompleted++;
        var candidate = new Candidate(p, key);
        if (_missingStages.Length == 0)
        {
            candidate.State = CandidateState.Accepted;
        }
        else
        {
            CheckMissing(candidate);
        }
        if (candidate.State == CandidateState.Pending)
        {
            _deadlines.Enqueue(candidate, candidate.Deadline);
            if (!_pendingByKey.TryGetValue(key, out var list))
            {
                _pendingByKey[key] = list = [];
            }
            list.Add(candidate);
        }
        if (candidate.State == CandidateState.Rejected)
        {
            Stats.SequencesRejectedByMissingEvent++;
            return;
        }
        if (candidate.State == CandidateState.Accepted && _held.Count == 0)
        {
            Emit(candidate.ToResult(), results);
            return;
        }
        _held.Enqueue(candidate);
        while (_held.Count > Options.MaxHeldSequences && _held.Peek() is { } head)
        {
            if (head.State == CandidateState.Pending)
            {
                head.State = CandidateState.Accepted;
                Stats.HeldSequencesReleasedEarly++;
            }
            Drain(results);
        }
    }

    private void CheckMissing(Candidate c)
    {
        var p = c.Partial;
        foreach (var m in _missingStages)
        {
            var before = _prevPositive[m];
            var after = _nextPositive[m];
            if (before < 0 || after < 0)
            {
                continue;
            }
            if (_history[m]!.TryGetValue(c.Key, out var list) && list.AnyBetween(p.Indexes[before], p.Indexes[after]))
            {
                c.State = CandidateState.Rejected;
                return;
            }
        }
        if (!_hasLeading && !_hasTrailing)
        {
            c.State = CandidateState.Accepted;
            return;
        }
        var anchor = p.StartTs;
        if (_hasLeading)
        {
            var firstIndex = p.Indexes[_firstPositive];
            var floor = _maxSpan > 0 ? p.LastTs - _maxSpan : long.MinValue;
            long? latest = null;
            for (var m = 0; m < _firstPositive; m++)
            {
                if (_history[m]!.TryGetValue(c.Key, out var list) && list.LatestBefore(firstIndex, floor) is { } t && (latest is null || t > latest))
                {
                    latest = t;
                }
            }
            if (latest is null)
            {
                c.State = CandidateState.Accepted;
                return;
            }
            anchor = latest.Value;
        }
        if (!_hasTrailing)
        {
            c.State = CandidateState.Rejected;
            return;
        }
        c.State = CandidateState.Pending;
        c.Deadline = _maxSpan > 0 ? anchor + _maxSpan : long.MaxValue;
    }

    private void RecordMissing(int stage, IEqlEvent e, long index, long ts)
    {
        if (!_keys[stage].Evaluate(e, _keyBuffer))
        {
            return;
        }
        var trailing = stage > _lastPositive;
        var history = _history[stage]!;
        foreach (var key in _keyBuffer)
        {
            if (trailing && _pendingByKey.TryGetValue(key, out var pending))
            {
                foreach (var c in pending)
                {
                    if (c.State == CandidateState.Pending && ts <= c.Deadline)
                    {
                        c.State = CandidateState.Rejected;
                        Stats.SequencesRejectedByMissingEvent++;
                    }
                }
                pending.RemoveAll(static c => c.State != CandidateState.Pending);
                if (pending.Count == 0)
                {
                    _pendingByKey.Remove(key);
                }
            }
            if (trailing)
            {
                // Trailing stages keep no history: they are checked against held sequences as events arrive.
                continue;
            }
            if (!history.TryGetValue(key, out var list))
            {
                if (history.Count >= Options.MaxPendingSequencesPerStage)
                {
                    SweepHistory(history, ts);
                }
                history[key] = list = new MissingList();
            }
            list.Add(index, ts, _maxSpan > 0 ? ts - _maxSpan : long.MinValue, Options.MaxMissingEventsPerKey, Stats);
        }
    }

    private void SweepHistory(Dictionary<JoinKey, MissingList> history, long now)
    {
        var floor = _maxSpan > 0 ? now - _maxSpan : long.MinValue;
        foreach (var (key, list) in history)
        {
            if (list.LastTs < floor)
            {
                history.Remove(key);
            }
        }
        if (history.Count >= Options.MaxPendingSequencesPerStage)
        {
            var oldest = history.MinBy(x => x.Value.LastTs);
            Stats.MissingEventsEvicted += oldest.Value.Count;
            history.Remove(oldest.Key);
        }
    }

    private void ReleaseClosedWindows(long now, ICollection<EqlResult> results)
    {
        while (_deadlines.TryPeek(out var c, out var deadline) && deadline < now)
        {
            _deadlines.Dequeue();
            if (c.State == CandidateState.Pending)
            {
                c.State = CandidateState.Accepted;
                if (_pendingByKey.TryGetValue(c.Key, out var list))
                {
                    list.Remove(c);
                    if (list.Count == 0)
                    {
                        _pendingByKey.Remove(c.Key);
                    }
                }
            }
        }
        Drain(results);
    }

    private void Drain(ICollection<EqlResult> results)
    {
        while (_held.TryPeek(out var c) && c.State != CandidateState.Pending)
        {
            _held.Dequeue();
            if (c.State == CandidateState.Accepted)
            {
                Emit(c.ToResult(), results);
            }
        }
    }

    private sealed class Partial
    {
        public Partial(int stages, long startTs)
        {
            Events = new IEqlEvent?[stages];
            Indexes = new long[stages];
            StartTs = startTs;
        }

        public IEqlEvent?[] Events { get; }

        public long[] Indexes { get; }

        public long StartTs { get; }

        public long LastTs { get; set; }
    }

    private enum CandidateState : byte
    {
        Pending,
        Accepted,
        Rejected,
    }

    private sealed class Candidate(Partial partial, JoinKey key)
    {
        public Partial Partial { get; } = partial;

        public JoinKey Key { get; } = key;

        public CandidateState State { get; set; }

        public long Deadline { get; set; }

        public EqlResult ToResult() => new(Partial.Events, Key.ToList());
    }

    /// <summary>Occurrences of a missing-event stage for one key, oldest first, pruned to <c>maxspan</c> and a count.</summary>
    private sealed class MissingList
    {
        private readonly Queue<(long Index, long Ts)> _items = new();

        public long LastTs { get; private set; } = long.MinValue;

        public int Count => _items.Count;

        public void Add(long index, long ts, long floor, int max, EqlRunStats stats)
        {
            while (_items.TryPeek(out var head) && head.Ts < floor)
            {
                _items.Dequeue();
            }
            if (_items.Count >= max)
            {
                _items.Dequeue();
                stats.MissingEventsEvicted++;
            }
            _items.Enqueue((index, ts));
            LastTs = Math.Max(LastTs, ts);
        }

        public bool AnyBetween(long afterIndex, long beforeIndex)
        {
            foreach (var (index, _) in _items)
            {
                if (index > afterIndex && index < beforeIndex)
                {
                    return true;
                }
            }
            return false;
        }

        public long? LatestBefore(long beforeIndex, long floorTs)
        {
            long? latest = null;
            foreach (var (index, ts) in _items)
            {
                if (index < beforeIndex && ts >= floorTs)
                {
                    latest = ts;
                }
            }
            return latest;
        }
    }
}
