using System.Collections.Concurrent;
using Vigil.Eql;
using Vigil.Events;

namespace Vigil.Detection;

/// <summary>A block of lines after detection: its alerts and kept events in input order.</summary>
internal sealed class ScannedBatch(LineBatch lines)
{
    public LineBatch Lines { get; } = lines;

    public List<Alert> Alerts { get; } = [];

    public List<EventRecord> Candidates { get; } = [];

    /// <summary>Lines the literal prefilter ruled out: counted as events, never parsed, so never checked for malformed JSON.</summary>
    public long Unchecked { get; set; }

    public ManualResetEventSlim Done { get; } = new(false);

    public Exception? Error { get; set; }
}

/// <summary>
/// The fast first pass of a scan: the input is read in blocks of whole lines; worker threads skip lines the
/// <see cref="LinePrefilter"/> rules out, project the rest into a reused value buffer, run the event rules and keep the
/// events sequence rules need; the caller consumes blocks strictly in input order, so alerts and errors come out exactly as
/// the plain path writes them. Only events that alert or are kept own their bytes; every other line costs no allocation
/// beyond its projected strings.
/// </summary>
internal sealed class FastScan
{
    private readonly DetectionEngine _engine;
    private readonly NdjsonReader _reader;
    private readonly LinePrefilter? _prefilter;
    private readonly Func<EventRecord, bool>? _isCandidate;
    private readonly RuleExecution _execution;
    private readonly ScanOptimizations _options;

    public FastScan(DetectionEngine engine, NdjsonReader reader, LinePrefilter? prefilter, Func<EventRecord, bool>? isCandidate, RuleExecution execution, ScanOptimizations options)
    {
        _engine = engine;
        _reader = reader;
        _prefilter = prefilter;
        _isCandidate = isCandidate;
        _execution = execution;
        _options = options;
    }

    /// <summary>Blocks of <paramref name="input"/>, processed, in input order. The caller must <see cref="LineBatch.Release"/> each.</summary>
    public IEnumerable<ScannedBatch> Run(string input)
    {
        if (_options.Parallelism <= 1)
        {
            var state = new WorkerState(_engine.Projection.SlotCount, _engine.Projection);
            foreach (var lines in _reader.ReadBatches(input))
            {
                var batch = new ScannedBatch(lines);
                Process(batch, state);
                yield return batch;
            }
            yield break;
        }
        var workers = _options.Parallelism;
        using var work = new BlockingCollection<ScannedBatch>();
        using var ordered = new BlockingCollection<ScannedBatch>(boundedCapacity: workers * 2 + 2);
        using var stop = new CancellationTokenSource();
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var lines in _reader.ReadBatches(input))
                {
                    var batch = new ScannedBatch(lines);
                    ordered.Add(batch, stop.Token);
                    // Never cancelled here: a block the consumer will wait for must reach a worker.
                    work.Add(batch, CancellationToken.None);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                var failed = new ScannedBatch(new LineBatch { Buffer = [], Source = input }) { Error = ex };
                failed.Done.Set();
                ordered.Add(failed, CancellationToken.None);
            }
            finally
            {
                work.CompleteAdding();
                ordered.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var threads = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(() =>
        {
            var state = new WorkerState(_engine.Projection.SlotCount, _engine.Projection);
            foreach (var batch in work.GetConsumingEnumerable())
            {
                try
                {
                    if (!stop.IsCancellationRequested)
                    {
                        Process(batch, state);
                    }
                }
                catch (Exception ex)
                {
                    batch.Error = ex;
                }
                finally
                {
                    batch.Done.Set();
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            foreach (var batch in ordered.GetConsumingEnumerable())
            {
                batch.Done.Wait();
                batch.Done.Dispose();
                if (batch.Error is { } error)
                {
                    batch.Lines.Release();
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
                }
                yield return batch;
            }
        }
        finally
        {
            // On an early exit (an error, a consumer that stops), unblock the producer and release what is in flight.
            stop.Cancel();
            foreach (var left in ordered.GetConsumingEnumerable())
            {
                left.Done.Wait();
                left.Lines.Release();
            }
            producer.Wait();
            Task.WaitAll(threads);
        }
    }

    private sealed class WorkerState(int slots, FieldProjection projection)
    {
        public EqlValue[] Values { get; } = new EqlValue[slots];

        /// <summary>The projection for every index seen so far: after the first few events, no event is projected twice.</summary>
        public FieldProjection Projection { get; set; } = projection;

        public HashSet<string?> Indexes { get; } = [];
    }

    private void Process(ScannedBatch batch, WorkerState state)
    {
        var lines = batch.Lines;
        var values = state.Values;
        for (var i = 0; i < lines.Lines.Count; i++)
        {
            var (start, length, line, _) = lines.Lines[i];
            // An over-long line is reported (by TryParse) even when no rule could match it.
            if (_prefilter is not null && length <= _reader.MaxLineBytes && _prefilter.CannotMatch(lines.Buffer.AsSpan(start, length)))
            {
                lines.Events++;
                batch.Unchecked++;
                continue;
            }
            var projection = _options.IndexProjection ? state.Projection : _engine.Projection;
            if (!_reader.TryParse(lines, i, values, projection, out var raw))
            {
                Array.Clear(values);
                continue;
            }
            var e = EventRecord.Borrowed(raw, lines.Source, line, values, _reader.DefaultIndex, _options.LinesByReference ? lines.Origin : null);
            if (_options.IndexProjection && state.Indexes.Add(_engine.ResolveIndex(e)))
            {
                // A new index: widen the projection to its rules' fields and project this event again. The routing
                // fields are in every projection, so the index read the first time is the event's index.
                var wanted = _engine.ProjectionFor(state.Indexes);
                Array.Clear(values);
                JsonProjector.Project(raw.Span, wanted, values);
                state.Projection = wanted;
            }
            var before = batch.Alerts.Count;
            _engine.Process(e, batch.Alerts, _execution, _options.CategoryRouting, _options.ValueRouting);
            var keep = _isCandidate is not null && _isCandidate(e);
            if (keep || batch.Alerts.Count > before)
            {
                e.Detach(_options.CompactCandidates);
                if (keep)
                {
                    batch.Candidates.Add(e);
                }
            }
            Array.Clear(values);
        }
    }
}
