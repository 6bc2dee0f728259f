using Vigil.Eql.Execution;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>What a scan read and found.</summary>
public sealed record ScanSummary(long EventsRead, long BadLines, int RulesRun, int RulesSkipped, long Alerts, long DuplicateAlerts)
{
    /// <summary>Inputs that could not be opened.</summary>
    public long FailedInputs { get; init; }

    /// <summary>Sequence and sample results found (each gives a shell alert plus one building block per event).</summary>
    public long Sequences { get; init; }

    /// <summary>Partial sequences or samples dropped because a state limit was reached (see <see cref="ScanOptions"/>).</summary>
    public long SequenceStateEvictions { get; init; }

    /// <summary>Events sorted to disk for sequence matching.</summary>
    public long SpilledEvents { get; init; }

    /// <summary>Events that matched a rule (or, for sequence rules, could have joined a sequence) and were removed by an exception item.</summary>
    public long ExceptedEvents { get; init; }

    /// <summary>
    /// Lines the literal prefilter proved unable to match any rule and skipped without parsing: a malformed one among them
    /// is not reported (<see cref="ScanOptimizations.LiteralPrefilter"/> off checks every line).
    /// </summary>
    public long UncheckedLines { get; init; }

    /// <summary>One line for people, e.g. on stderr.</summary>
    public override string ToString() =>
        $"events read: {EventsRead}" + (UncheckedLines > 0 ? $" ({UncheckedLines} ruled out by the literal prefilter without parsing)" : string.Empty) +
        $", bad lines: {BadLines}" +
        (FailedInputs > 0 ? $", unreadable inputs: {FailedInputs}" : string.Empty) +
        $", rules run: {RulesRun}" +
        (RulesSkipped > 0 ? $" ({RulesSkipped} not executable)" : string.Empty) +
        $", alerts: {Alerts}" + (Sequences > 0 ? $" ({Sequences} sequences)" : string.Empty) +
        (DuplicateAlerts > 0 ? $" ({DuplicateAlerts} duplicates dropped)" : string.Empty) +
        (ExceptedEvents > 0 ? $", excepted events: {ExceptedEvents}" : string.Empty) +
        (SequenceStateEvictions > 0 ? $"; warning: {SequenceStateEvictions} partial sequences evicted at the state limit, results may be missing" : string.Empty);
}

/// <summary>Limits for a scan, with safe defaults.</summary>
public sealed record ScanOptions
{
    /// <summary>Index for events that carry neither <c>_index</c> nor <c>data_stream.*</c>.</summary>
    public string? DefaultIndex { get; init; }

    /// <summary>Events kept in memory while ordering them for sequence rules; beyond it sorted runs spill to temporary files.</summary>
    /// <remarks>Events kept with the whole public corpus loaded take about 8 KB each (raw line, values, strings): 10,000 keep the ordering buffer near 80 MB.</remarks>
    public int MaxEventsInMemory { get; init; } = 10_000;

    /// <summary>Partial sequences kept per stage and rule; beyond it the oldest are evicted and counted.</summary>
    public int MaxPendingSequencesPerStage { get; init; } = 100_000;

    /// <summary>Where spill files go (default: the system temporary directory).</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Speed-ups (all on by default); <see cref="ScanOptimizations.None"/> runs the plain evaluator.</summary>
    public ScanOptimizations Optimizations { get; init; } = new();

    /// <summary>
    /// Called on the scanning thread with how far the first pass has got: at most once per <see cref="ProgressInterval"/>,
    /// and once at the end of each input. Null (the default): no progress reports.
    /// </summary>
    public Action<ScanProgress>? Progress { get; init; }

    /// <summary>The least time between two <see cref="Progress"/> reports within an input.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>How far a scan has read.</summary>
/// <param name="Input">The input being read (<c>-</c> for stdin).</param>
/// <param name="BytesRead">Bytes of that input read so far (after decompression for <c>.gz</c> inputs).</param>
/// <param name="InputBytes">The input's size when known in advance (a regular, uncompressed file), else null.</param>
/// <param name="EventsRead">Events read from every input so far.</param>
/// <param name="Alerts">Alerts written so far.</param>
/// <param name="Elapsed">Time since the scan started.</param>
/// <param name="Done">True for the report made when the input has been read to its end.</param>
public sealed record ScanProgress(string Input, long BytesRead, long? InputBytes, long EventsRead, long Alerts, TimeSpan Elapsed, bool Done);

/// <summary>
/// Scans NDJSON inputs with a set of rules. Event rules run on each event as it is read; sequence and sample rules get the
/// events that can take part in them (those passing one of their stage filters), put in time order with bounded memory
/// (spilling to disk), as inputs are often out of order. Alerts go to a sink; bad lines are reported and skipped; an alert
/// seen twice (the same event and rule, e.g. from overlapping inputs) is written once.
/// </summary>
public sealed class ScanJob
{
    private readonly DetectionEngine _engine;

    /// <summary>Prepares a scan with <paramref name="rules"/>.</summary>
    public ScanJob(IEnumerable<DetectionRule> rules, DetectionOptions? options = null) =>
        _engine = new DetectionEngine(rules, options);

    /// <summary>The engine (rules running and skipped).</summary>
    public DetectionEngine Engine => _engine;

    /// <summary>
    /// Hands back to the system the memory that loading and compiling rules used and no longer needs (the GC would otherwise
    /// keep it committed for the whole scan: about 50 MiB with the public corpus). Call it once, before a long scan.
    /// </summary>
    public static void ReleaseLoadMemory() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>Reads every input (<c>-</c> is stdin) and writes alerts to <paramref name="sink"/>.</summary>
    public ScanSummary Run(IEnumerable<string> inputs, IAlertSink sink, Action<InputError> onError, string? defaultIndex = null) =>
        Run(inputs, sink, onError, new ScanOptions { DefaultIndex = defaultIndex });

    /// <summary>Reads every input (<c>-</c> is stdin) and writes alerts to <paramref name="sink"/>.</summary>
    public ScanSummary Run(IEnumerable<string> inputs, IAlertSink sink, Action<InputError> onError, ScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        var execution = RuleExecution.Start(_engine.Options.Time, _engine.Options.ExecutionType);
        var inputList = inputs.ToList();
        var groups = _engine.SequenceRules
            .GroupBy(r => (r.Query.Options.TimestampField, r.Query.Options.TiebreakerField))
            .Select(g => g.ToList())
            .ToList();
        string? stdinCopy = null;
        if (groups.Count > 1 && inputList.Contains("-"))
        {
            // Sequence rules with different time fields read the input once per ordering; stdin can be read only once.
            stdinCopy = Path.Combine(options.TempDirectory ?? Path.GetTempPath(), $"vigil-stdin-{Guid.NewGuid():N}.ndjson");
            using (var copy = File.Create(stdinCopy))
            {
                Console.OpenStandardInput().CopyTo(copy);
            }
            // Stdin is read once: a second "-" finds it at its end, as it would without the copy.
            var first = inputList.IndexOf("-");
            inputList = inputList.Where((input, k) => input != "-" || k == first).Select(i => i == "-" ? stdinCopy : i).ToList();
        }
        var readerOptions = new NdjsonReaderOptions { DefaultIndex = options.DefaultIndex };
        // Errors in the copy of stdin are errors of "-".
        var report = stdinCopy is null ? onError : e => onError(e.Source == stdinCopy ? e with { Source = "-" } : e);
        var reader = new NdjsonReader(_engine.Projection, report, readerOptions);
        var alerts = new List<Alert>();
        long sequences = 0, evictions = 0, spilled = 0;
        var output = new DedupingAlertWriter(sink);
        void Emit(IEnumerable<Alert> batch) => output.Write(batch);

        var fast = options.Optimizations;
        // Only events kept for sequence rules point into their input.
        reader.HoldsInputs = fast.LinesByReference && groups.Count > 0;
        var useFast = fast != ScanOptimizations.None;
        var prefilter = fast.LiteralPrefilter
            ? LinePrefilter.Create(_engine.Rules.Concat(_engine.SequenceRules).Select(r => r.Query).ToList())
            : null;
        if (prefilter is not null && inputList.Count > 0 && !LinePrefilter.PaysOff(prefilter, inputList[0]))
        {
            // Most lines hold some rule's literals: checking every line would cost more than the few it rules out.
            prefilter = null;
        }

        long uncheckedLines = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        void Report(string input, long bytesRead, bool done, bool? plainFile = null)
        {
            if (options.Progress is not { } progress || (!done && clock.Elapsed - lastReport < options.ProgressInterval))
            {
                return;
            }
            lastReport = clock.Elapsed;
            // A compressed input not named .gz is read larger than its size: its size then says nothing.
            var size = plainFile == false ? null : KnownSize(input);
            progress(new ScanProgress(input == stdinCopy ? "-" : input, bytesRead, size >= bytesRead ? size : null, reader.EventsRead, output.Written, clock.Elapsed, done));
        }

        IEnumerable<EventRecord> FirstPass(List<ActiveRule>? group)
        {
            if (useFast)
            {
                // The sequence rules' needs are part of the prefilter, so a skipped line is never a candidate either.
                var router = group is null ? null : new GroupRouter(_engine, group);
                var scan = new FastScan(_engine, reader, prefilter, router is null ? null : router.Route, execution, fast);
                foreach (var input in inputList)
                {
                    long bytesRead = 0;
                    var failed = reader.FailedInputs;
                    bool? plainFile = null;
                    foreach (var batch in scan.Run(input))
                    {
                        reader.Consume(batch.Lines);
                        uncheckedLines += batch.Unchecked;
                        bytesRead = batch.Lines.InputBytesRead;
                        plainFile = batch.Lines.FromPlainFile;
                        batch.Lines.Release();
                        Emit(batch.Alerts);
                        Report(input, bytesRead, done: false, plainFile);
                        foreach (var e in batch.Candidates)
                        {
                            yield return e;
                        }
                    }
                    if (reader.FailedInputs == failed)
                    {
                        Report(input, bytesRead, done: true, plainFile);
                    }
                }
                yield break;
            }
            foreach (var input in inputList)
            {
                long bytesRead = 0;
                var failed = reader.FailedInputs;
                foreach (var e in reader.ReadPath(input))
                {
                    alerts.Clear();
                    _engine.Process(e, alerts, execution);
                    Emit(alerts);
                    // The line and its newline (a CRLF or a missing last newline makes this off by one).
                    bytesRead += e.Raw.Length + 1;
                    Report(input, bytesRead, done: false);
                    if (group is not null && IsCandidate(group, e))
                    {
                        yield return e;
                    }
                }
                if (reader.FailedInputs == failed)
                {
                    Report(input, bytesRead, done: true);
                }
            }
        }

        IEnumerable<EventRecord> LaterPass(List<ActiveRule> group)
        {
            // Errors were reported by the first pass.
            var again = new NdjsonReader(_engine.Projection, _ => { }, readerOptions);
            var router = useFast ? new GroupRouter(_engine, group) : null;
            foreach (var input in inputList)
            {
                foreach (var e in again.ReadPath(input))
                {
                    if (router?.Route(e) ?? IsCandidate(group, e))
                    {
                        yield return e;
                    }
                }
            }
        }

        void RunGroup(List<ActiveRule> group, IEnumerable<EventRecord> candidates, bool inOrder)
        {
            var runOptions = new EqlRunOptions { MaxPendingSequencesPerStage = options.MaxPendingSequencesPerStage };
            var matchers = group.Select(r => (Rule: r, Matcher: EqlMatcher.Create(r.Query, runOptions))).ToList();
            var results = new List<EqlResult>();
            // Sequences found while the input is read in order: written when it ends, after every event rule's alerts. They
            // keep where their events' lines are, not the events, so that holding them costs little.
            List<(ActiveRule Rule, KeptLine[] Events)>? held = inOrder ? [] : null;
            void Drain(ActiveRule rule)
            {
                foreach (var result in results)
                {
                    var events = result.Events.OfType<EventRecord>().ToList();
                    if (events.Count == 0)
                    {
                        continue;
                    }
                    if (held is not null)
                    {
                        // Only events kept by reference are delivered while in order.
                        held.Add((rule, [.. events.Select(e => KeptLine.Of(e, e.Routes!))]));
                        continue;
                    }
                    sequences++;
                    Emit(_engine.BuildSequenceAlerts(rule, events, execution));
                }
                results.Clear();
            }
            var timestamp = group[0].Query.TimestampField;
            void Deliver(EventRecord e)
            {
                if (e.Routes is { } routes)
                {
                    // The worker found which rules take the event (see GroupRouter): push it to those, and let the rules
                    // that read its index without it see its time, as pushing it to them would.
                    var n = matchers.Count;
                    // The event's time, read (and parsed) once for all the rules it only moves the clock of.
                    long? nanos = null;
                    var timed = true;
                    for (var word = 0; word < (n + 63) / 64; word++)
                    {
                        var push = routes[word];
                        var any = push | routes[((n + 63) / 64) + word];
                        while (any != 0)
                        {
                            var bit = System.Numerics.BitOperations.TrailingZeroCount(any);
                            any &= any - 1;
                            var (rule, matcher) = matchers[(word * 64) + bit];
                            if ((push & (1UL << bit)) != 0)
                            {
                                matcher.Push(e, results);
                            }
                            else if (timed)
                            {
                                if (nanos is null && EqlTime.TryGetNanos(e.Get(timestamp), out var ts))
                                {
                                    nanos = ts;
                                }
                                timed = nanos is not null;
                                if (nanos is { } at)
                                {
                                    matcher.AdvanceTo(at, results);
                                }
                            }
                            Drain(rule);
                        }
                    }
                    return;
                }
                var index = _engine.ResolveIndex(e);
                foreach (var (rule, matcher) in matchers)
                {
                    // Kibana's exception filter is part of the search, so an excepted event never joins a sequence.
                    if (_engine.ReadsIndex(rule, index) && !(rule.Exceptions is not null && rule.Query.CouldMatch(e) && rule.IsExcepted(e)))
                    {
                        matcher.Push(e, results);
                        Drain(rule);
                    }
                }
            }
            void Complete()
            {
                foreach (var (rule, matcher) in matchers)
                {
                    matcher.Complete(results);
                    Drain(rule);
                    evictions += matcher.Stats.SequencesEvicted;
                }
            }

            using var rest = candidates.GetEnumerator();
            var ordered = Rest(rest);
            using var seen = held is not null ? new KeptLines(options.TempDirectory) : null;
            if (held is not null && seen is not null)
            {
                // In time order so far means sorted so far (ties keep arrival order, as the sort does): deliver at once,
                // remembering where each event's line is in case the order breaks.
                var last = long.MinValue;
                EventRecord? breaker = null;
                while (rest.MoveNext())
                {
                    var e = rest.Current;
                    var ts = EqlTime.TryGetNanos(e.Get(timestamp), out var t) ? t : long.MinValue;
                    if (ts < last || !e.IsByReference || e.Routes is null)
                    {
                        breaker = e;
                        break;
                    }
                    last = ts;
                    seen.Add(e);
                    Deliver(e);
                }
                if (breaker is null)
                {
                    Complete();
                    foreach (var (rule, events) in held)
                    {
                        sequences++;
                        Emit(_engine.BuildSequenceAlerts(rule, [.. events.Select(k => k.Read(readerOptions.DefaultIndex, _engine.Projection))], execution));
                    }
                    return;
                }
                // Out of order (or a line that cannot be read again): start the rules again over everything, sorted.
                matchers = group.Select(r => (Rule: r, Matcher: EqlMatcher.Create(r.Query, runOptions))).ToList();
                results.Clear();
                held = null;
                ordered = Replay(seen, readerOptions.DefaultIndex, breaker, rest);
            }
            var orderer = EventOrderer.For(group[0].Query, new EventRecordCodec(_engine.Projection, storeValues: options.Optimizations.CompactCandidates), new EventOrdererOptions
            {
                MaxEventsInMemory = options.MaxEventsInMemory,
                TempDirectory = options.TempDirectory,
            });
            foreach (var e in orderer.Sort(ordered))
            {
                Deliver(e);
            }
            Complete();
            spilled += orderer.SpilledEvents;
        }

        IEnumerable<EventRecord> Replay(KeptLines seen, string? defaultIndex, EventRecord breaker, IEnumerator<EventRecord> rest)
        {
            ReplayedEvents = seen.Count;
            foreach (var k in seen.ReadAll())
            {
                yield return k.Read(defaultIndex, _engine.Projection);
            }
            yield return breaker;
            while (rest.MoveNext())
            {
                yield return rest.Current;
            }
        }

        try
        {
            if (groups.Count == 0)
            {
                foreach (var _ in FirstPass(null))
                {
                }
            }
            else
            {
                ReplayedEvents = 0;
                // With a tiebreaker field, events of equal time are ordered by it too: only plain time order is checked here.
                RunGroup(groups[0], FirstPass(groups[0]), useFast && fast.InOrderSequences && groups[0][0].Query.Options.TiebreakerField is null);
                foreach (var group in groups.Skip(1))
                {
                    RunGroup(group, LaterPass(group), false);
                }
            }
        }
        finally
        {
            reader.CloseRawFiles();
            if (stdinCopy is not null)
            {
                File.Delete(stdinCopy);
            }
        }
        sink.Flush();
        return new ScanSummary(reader.EventsRead, reader.BadLines, _engine.Rules.Count + _engine.SequenceRules.Count, _engine.Skipped.Count, output.Written, output.Duplicates)
        {
            FailedInputs = reader.FailedInputs,
            UncheckedLines = uncheckedLines,
            Sequences = sequences,
            SequenceStateEvictions = evictions,
            SpilledEvents = spilled,
            ExceptedEvents = _engine.Rules.Concat(_engine.SequenceRules).Sum(r => r.ExceptedEvents),
        };
    }

    /// <summary>
    /// Decides, on the thread that parsed an event, which sequence rules of a group take it, and records it in
    /// <see cref="EventRecord.Routes"/>: the first words are a bit per rule that gets the event pushed (it reads the event's
    /// index, passes one of the rule's stage filters and is not excepted), the next words a bit per rule that reads the index
    /// but whose filters the event fails (the plain path pushes it there too, which only moves the rule's clock). An event is
    /// kept when some rule reading its index passes a filter, as <see cref="IsCandidate"/> decides.
    /// </summary>
    private sealed class GroupRouter
    {
        private readonly DetectionEngine _engine;
        private readonly ActiveRule[] _rules;
        private readonly int _words;
        private readonly ulong[] _all;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ulong[]> _readers = new(StringComparer.Ordinal);

        public GroupRouter(DetectionEngine engine, List<ActiveRule> group)
        {
            _engine = engine;
            _rules = [.. group];
            _words = (_rules.Length + 63) / 64;
            _all = new ulong[_words];
            for (var i = 0; i < _rules.Length; i++)
            {
                _all[i / 64] |= 1UL << (i % 64);
            }
        }

        private ulong[] Readers(string? index) => index is null
            ? _all
            : _readers.GetOrAdd(index, static (i, self) =>
            {
                var mask = new ulong[self._words];
                for (var r = 0; r < self._rules.Length; r++)
                {
                    if (self._engine.ReadsIndex(self._rules[r], i))
                    {
                        mask[r / 64] |= 1UL << (r % 64);
                    }
                }
                return mask;
            }, this);

        public bool Route(EventRecord e)
        {
            var readers = Readers(_engine.ResolveIndex(e));
            ulong[]? routes = null;
            var candidate = false;
            for (var word = 0; word < _words; word++)
            {
                var left = readers[word];
                while (left != 0)
                {
                    var bit = System.Numerics.BitOperations.TrailingZeroCount(left);
                    left &= left - 1;
                    var rule = _rules[(word * 64) + bit];
                    routes ??= new ulong[2 * _words];
                    if (!rule.Query.CouldMatch(e))
                    {
                        routes[_words + word] |= 1UL << bit;
                        continue;
                    }
                    candidate = true;
                    // Kibana's exception filter is part of the search, so an excepted event never joins a sequence.
                    if (rule.Exceptions is null || !rule.IsExcepted(e))
                    {
                        routes[word] |= 1UL << bit;
                    }
                }
            }
            if (candidate)
            {
                e.Routes = routes;
            }
            return candidate;
        }
    }

    /// <summary>The size of a regular, uncompressed input file; null for stdin, compressed or unreadable inputs.</summary>
    private static long? KnownSize(string input)
    {
        if (input == "-" || input.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        // Through symbolic links (container logs are links); pipes and devices have no size to go by.
        return FileIdentity.Of(input) is { IsRegularFile: true } file ? file.Size : null;
    }

    /// <summary>Events the last scan read again from its input because the events kept for sequences came out of order.</summary>
    internal long ReplayedEvents { get; private set; }

    private static IEnumerable<EventRecord> Rest(IEnumerator<EventRecord> rest)
    {
        while (rest.MoveNext())
        {
            yield return rest.Current;
        }
    }

    /// <summary>Where the line of an event delivered in order is, and which rules took it: enough to deliver it again.</summary>
    private readonly record struct KeptLine(RawFile File, long Offset, int Length, ulong Check, long Line, ulong[] Routes)
    {
        public static KeptLine Of(EventRecord e, ulong[] routes)
        {
            var (file, offset, length, check) = e.Reference;
            return new KeptLine(file, offset, length, check, e.Line, routes);
        }

        public EventRecord Read(string? defaultIndex, FieldProjection projection)
        {
            var e = EventRecord.FromReference(File, Offset, Length, Check, Line, defaultIndex, projection);
            e.Routes = Routes;
            return e;
        }
    }

    /// <summary>
    /// Where the lines of the events delivered in order are, in case the order breaks and they must be delivered again: on
    /// disk (a few dozen bytes each, written once, read back only then), so that memory does not grow with the input.
    /// </summary>
    private sealed class KeptLines(string? directory) : IDisposable
    {
        private readonly List<RawFile> _files = [];
        private readonly Dictionary<RawFile, int> _fileIds = [];
        private readonly List<ulong[]> _routes = [];
        private readonly Dictionary<ulong[], int> _routeIds = new(RoutesComparer.Instance);
        private Stream? _stream;
        private BinaryWriter? _writer;

        public long Count { get; private set; }

        public void Add(EventRecord e)
        {
            var (file, offset, length, check) = e.Reference;
            if (!_fileIds.TryGetValue(file, out var fileId))
            {
                _fileIds[file] = fileId = _files.Count;
                _files.Add(file);
            }
            if (!_routeIds.TryGetValue(e.Routes!, out var routeId))
            {
                _routeIds[e.Routes!] = routeId = _routes.Count;
                _routes.Add(e.Routes!);
            }
            if (_writer is null)
            {
                // Without a usable temporary directory the references stay in memory (36 bytes an event) instead.
                _stream = (Stream?)TryCreateFile() ?? new MemoryStream();
                _writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
            }
            _writer.Write(fileId);
            _writer.Write(routeId);
            _writer.Write(offset);
            _writer.Write(length);
            _writer.Write(check);
            _writer.Write(e.Line);
            Count++;
        }

        private FileStream? TryCreateFile()
        {
            try
            {
                return TemporaryFile.Create(directory, "vigil-lines", ".tmp");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public IEnumerable<KeptLine> ReadAll()
        {
            if (_writer is null)
            {
                yield break;
            }
            _writer.Flush();
            _stream!.Position = 0;
            using var reader = new BinaryReader(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
            for (long i = 0; i < Count; i++)
            {
                var file = _files[reader.ReadInt32()];
                var routes = _routes[reader.ReadInt32()];
                var offset = reader.ReadInt64();
                var length = reader.ReadInt32();
                var check = reader.ReadUInt64();
                var line = reader.ReadInt64();
                yield return new KeptLine(file, offset, length, check, line, routes);
            }
        }

        public void Dispose()
        {
            _writer?.Dispose();
            _stream?.Dispose();
        }
    }

    /// <summary>Route sets by content, so that events delivered in order share the few distinct ones.</summary>
    private sealed class RoutesComparer : IEqualityComparer<ulong[]>
    {
        public static RoutesComparer Instance { get; } = new();

        public bool Equals(ulong[]? x, ulong[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(ulong[] obj)
        {
            var hash = new HashCode();
            foreach (var word in obj)
            {
                hash.Add(word);
            }
            return hash.ToHashCode();
        }
    }

    private bool IsCandidate(List<ActiveRule> group, EventRecord e)
    {
        var index = _engine.ResolveIndex(e);
        foreach (var rule in group)
        {
            if (_engine.ReadsIndex(rule, index) && rule.Query.CouldMatch(e))
            {
                return true;
            }
        }
        return false;
    }
}
