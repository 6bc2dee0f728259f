using Vigil.Sensor.Ecs;
using Vigil.Sensor.Netlink;
using Vigil.Sensor.Procfs;
using Vigil.Sensor.Tracking;

namespace Vigil.Sensor;

/// <summary>What /proc said about a process right after its exec.</summary>
internal sealed record ExecCapture(ProcessEntry Snapshot, EnrichResult Result);

/// <summary>
/// Turns decoded proc connector events into process-table updates and ECS documents. No I/O of its own
/// besides /proc reads, so tests drive it with synthetic events and a fake proc root. Single-threaded.
/// </summary>
internal sealed class SensorCore : IDisposable
{
    private readonly SensorOptions _options;
    private readonly ProcessReader _reader;
    private readonly ProcessTable _table;
    private readonly EcsDocumentWriter _writer;
    private readonly SensorClock _clock;
    private readonly SensorCounters _counters;
    private readonly Action<SensorEvent> _emit;

    public SensorCore(SensorOptions options, SensorClock clock, SensorCounters counters, Action<SensorEvent> emit)
    {
        _options = options;
        _clock = clock;
        _counters = counters;
        _emit = emit;
        Host = HostInfo.Read(options.ProcRoot, options.HostName);
        _reader = new ProcessReader(new ProcFs(options.ProcRoot), clock, new UserNames(options.ProcRoot), Host.BootId);
        _table = new ProcessTable(options.ExitedProcessRetention, options.MaxExitedProcesses);
        _writer = new EcsDocumentWriter(Host);
    }

    public HostInfo Host { get; }

    public ProcessTable Table => _table;

    /// <summary>
    /// Reads /proc for a process that just exec'd, before anything else is done: when several messages
    /// are queued, the receive loop captures every exec first and writes documents afterwards, because
    /// a short-lived process's /proc entry is gone within a millisecond or two.
    /// </summary>
    public ExecCapture CaptureExec(int pid)
    {
        var snapshot = new ProcessEntry(pid);
        EnrichResult result = _reader.ReadAll(snapshot);
        return new ExecCapture(snapshot, result);
    }

    /// <summary>
    /// Applies one event; <paramref name="receivedTimestamp"/> is the Stopwatch time of receipt and
    /// <paramref name="capture"/> the /proc snapshot already taken for an exec, if any.
    /// </summary>
    public void Handle(in ProcEvent ev, long receivedTimestamp, ExecCapture? capture = null)
    {
        switch (ev.Kind)
        {
            case ProcEventKind.Fork:
                OnFork(ev, receivedTimestamp);
                break;
            case ProcEventKind.Exec:
                OnExec(ev, receivedTimestamp, capture);
                break;
            case ProcEventKind.Exit:
                OnExit(ev, receivedTimestamp);
                break;
            case ProcEventKind.Sid:
                // setsid() makes the process a session and group leader: keep leaders right without a /proc read.
                if (ev.Pid == ev.Tgid && _table.Get(ev.Tgid) is { Exited: false } p)
                {
                    p.SessionId = p.Pid;
                    p.ProcessGroupId = p.Pid;
                    p.TtyNr = 0;
                }

                break;
            case ProcEventKind.Uid or ProcEventKind.Gid:
                // setuid/setgid after exec (su, sudo, daemons dropping root): later documents name the new ids.
                if (ev.Pid == ev.Tgid && _table.Get(ev.Tgid) is { Exited: false, HasIds: true } q)
                {
                    if (ev.Kind == ProcEventKind.Uid)
                    {
                        q.UserId = ev.EffectiveId;
                    }
                    else
                    {
                        q.GroupId = ev.EffectiveId;
                    }

                    _reader.ResolveNames(q);
                }

                break;
        }

        Volatile.Write(ref _counters.ProcessesTracked, _table.Count);
    }

    /// <summary>
    /// Rebuilds the table from /proc: adds processes we never saw, drops the ones that are gone (without
    /// inventing end events for them), and replaces entries whose pid now belongs to another process.
    /// </summary>
    public void Resync(bool initial)
    {
        if (!initial)
        {
            _reader.ReloadNames();
        }

        long now = SensorClock.MonotonicNowNs();
        List<int> pids = _reader.Fs.ListPids();
        var present = new HashSet<int>(pids);
        var stale = new List<ProcessEntry>();
        foreach (ProcessEntry e in _table.Live())
        {
            if (!present.Contains(e.Pid))
            {
                stale.Add(e);
            }
        }

        foreach (ProcessEntry e in stale)
        {
            _table.MarkExited(e, now);
        }

        var added = new List<ProcessEntry>();
        foreach (int pid in pids)
        {
            ProcessEntry? existing = _table.Get(pid);
            if (existing is { Exited: false } && existing.StartKnown)
            {
                if (_reader.Fs.TryRead(pid, "stat"u8, out ReadOnlySpan<byte> text)
                    && ProcStat.Parse(text) is { } stat && stat.StartTicks == existing.StartTicks)
                {
                    // Same process. A changed command name means we missed an exec while blind: re-read the image.
                    if (stat.Comm != existing.Comm)
                    {
                        _reader.ReadAll(existing);
                        added.Add(existing);
                    }
                    else
                    {
                        _reader.ApplyStat(existing, stat);
                    }

                    continue;
                }
            }

            var entry = new ProcessEntry(pid);
            if ((_reader.ReadAll(entry) & EnrichResult.Stat) != 0)
            {
                _table.Put(entry);
                added.Add(entry);
            }
        }

        // Parents start before their children: deciding leaders in start order lets children inherit.
        added.Sort(static (a, b) => a.StartTicks.CompareTo(b.StartTicks));
        foreach (ProcessEntry e in added)
        {
            EntryLeaders.Evaluate(e, _table);
        }

        Volatile.Write(ref _counters.ProcessesTracked, _table.Count);
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Runs fork, exec and exit of this very process through a throw-away core so that every method on
    /// the event path is compiled before the first real event: a first exec that waits for the JIT
    /// loses the race against a short-lived process and can no longer read its /proc entry.
    /// </summary>
    public static void WarmUp(SensorOptions options, SensorClock clock)
    {
        int self = Environment.ProcessId;
        using var core = new SensorCore(options, clock, new SensorCounters(), static _ => { });
        Span<byte> datagram = stackalloc byte[ProcConnectorMessage.EventMessageSize];
        ulong now = (ulong)SensorClock.MonotonicNowNs();
        var tracker = new SequenceTracker();
        ProcEvent[] events =
        [
            new(ProcEventKind.Fork, 0, 0, 0, now, self, self, self, self, 0, 0),
            new(ProcEventKind.Exec, 0, 1, 0, now, self, self, 0, 0, 0, 0),
            new(ProcEventKind.Sid, 0, 2, 0, now, self, self, 0, 0, 0, 0),
            new(ProcEventKind.Exit, 0, 3, 0, now, self, self, self, self, 0, 17),
        ];
        for (int round = 0; round < 2; round++)
        {
            foreach (ProcEvent ev in events)
            {
                ProcConnectorMessage.WriteEvent(datagram, ev);
                ProcConnectorMessage.TryRead(datagram, out ProcEvent decoded, out _);
                tracker.Observe(decoded.Cpu, decoded.Sequence);
                core.Handle(decoded, 0);
            }
        }

        core.Evict(SensorClock.MonotonicNowNs());
    }

    /// <summary>Evicts old exited processes; returns how many.</summary>
    public int Evict(long nowMonotonicNs)
    {
        int removed = _table.Evict(nowMonotonicNs);
        if (removed > 0)
        {
            Interlocked.Add(ref _counters.ProcessesEvicted, removed);
            Volatile.Write(ref _counters.ProcessesTracked, _table.Count);
        }

        return removed;
    }

    private void OnFork(in ProcEvent ev, long receivedTimestamp)
    {
        if (ev.Pid != ev.Tgid)
        {
            if (_options.IncludeThreadEvents && _table.Get(ev.Tgid) is { } owner)
            {
                Emit(SensorEventAction.Fork, ev, owner, previous: null, partial: false, threadId: ev.Pid, receivedTimestamp);
            }

            return;
        }

        ProcessEntry? parent = _table.Get(ev.ParentTgid);
        if (parent is null || parent.Exited)
        {
            parent = LoadUnknown(ev.ParentTgid);
        }

        var child = new ProcessEntry(ev.Pid);
        if (parent is not null)
        {
            child.InheritFrom(parent);
        }
        else
        {
            child.ParentPid = ev.ParentTgid;
        }

        // Always learn the start time now: the entity id needs it, and a short-lived child may be gone
        // by the time anything refers to it.
        bool partial = false;
        string? inheritedComm = child.Comm;
        if (_reader.ReadStat(child))
        {
            // The child may have exec'd already; the fork document describes the image it was forked with.
            child.Comm = inheritedComm ?? child.Comm;
        }
        else
        {
            _reader.SetStart(child, _clock.MonotonicToTicks((long)ev.TimestampNs));
            partial = true;
        }

        child.ParentPid = ev.ParentTgid;
        _table.Put(child);

        if (_options.IncludeForks)
        {
            if (partial)
            {
                Interlocked.Increment(ref _counters.EnrichmentFailures);
            }

            Emit(SensorEventAction.Fork, ev, child, previous: null, partial, threadId: 0, receivedTimestamp);
        }
    }

    private void OnExec(in ProcEvent ev, long receivedTimestamp, ExecCapture? capture)
    {
        int pid = ev.Tgid;
        ProcessEntry? entry = _table.Get(pid);
        if (entry is null || entry.Exited)
        {
            entry = new ProcessEntry(pid);
        }

        ProcessImage? previous = entry.HasImage ? new ProcessImage(entry.Args, entry.Executable) : null;
        ulong knownStart = entry.StartTicks;
        bool hadStart = entry.StartKnown;

        capture ??= CaptureExec(pid);
        entry.ApplyCapture(capture.Snapshot, capture.Result);
        _reader.ResolveNames(entry);
        bool partial = (capture.Result & EnrichResult.Image) == 0;
        if (partial)
        {
            Interlocked.Increment(ref _counters.EnrichmentFailures);
        }

        if ((capture.Result & EnrichResult.Stat) == 0 && !hadStart)
        {
            _reader.SetStart(entry, _clock.MonotonicToTicks((long)ev.TimestampNs));
        }
        else if (hadStart && entry.StartTicks != knownStart)
        {
            // The pid belongs to a process we did not see fork: what we knew was about someone else.
            previous = null;
        }

        entry.Previous = previous;
        _table.Put(entry);
        EntryLeaders.Evaluate(entry, _table);
        Emit(SensorEventAction.Exec, ev, entry, previous, partial, threadId: 0, receivedTimestamp);
    }

    private void OnExit(in ProcEvent ev, long receivedTimestamp)
    {
        if (ev.Pid != ev.Tgid)
        {
            if (_options.IncludeThreadEvents && _table.Get(ev.Tgid) is { } owner)
            {
                Emit(SensorEventAction.End, ev, owner, previous: null, partial: false, threadId: ev.Pid, receivedTimestamp);
            }

            return;
        }

        ProcessEntry? entry = _table.Get(ev.Pid);
        bool partial = false;
        if (entry is null || entry.Exited)
        {
            entry = LoadUnknown(ev.Pid);
            if (entry is null)
            {
                entry = new ProcessEntry(ev.Pid);
                _reader.SetStart(entry, _clock.MonotonicToTicks((long)ev.TimestampNs));
                _table.Put(entry);
                partial = true;
                Interlocked.Increment(ref _counters.EnrichmentFailures);
            }
        }

        if (ev.ParentTgid > 0)
        {
            // Orphans are re-parented while they run; the exit names the parent that reaps them.
            entry.ParentPid = ev.ParentTgid;
        }

        entry.ExitCode = ProcConnectorMessage.DecodeExitCode(ev.ExitCode);
        entry.EndUnixNs = _clock.MonotonicToUnixNs((long)ev.TimestampNs);
        _table.MarkExited(entry, (long)ev.TimestampNs);
        Emit(SensorEventAction.End, ev, entry, previous: null, partial, threadId: 0, receivedTimestamp);
    }

    /// <summary>Reads a process we have no entry for (it predates a loss) and adds it.</summary>
    private ProcessEntry? LoadUnknown(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }

        var entry = new ProcessEntry(pid);
        if ((_reader.ReadAll(entry) & EnrichResult.Stat) == 0)
        {
            return null;
        }

        _table.Put(entry);
        EntryLeaders.Evaluate(entry, _table);
        return entry;
    }

    private void Emit(SensorEventAction action, in ProcEvent ev, ProcessEntry p, ProcessImage? previous, bool partial, int threadId, long receivedTimestamp)
    {
        long ts = _clock.MonotonicToUnixNs((long)ev.TimestampNs);
        var ecs = new EcsEvent(
            action,
            ts,
            p,
            EntryLeaders.Related(p, p.ParentPid, _table) is { } parent && !ReferenceEquals(parent, p) ? parent : null,
            EntryLeaders.Related(p, p.SessionId, _table),
            EntryLeaders.Related(p, p.ProcessGroupId, _table),
            p.EntryLeader,
            previous,
            partial,
            threadId);
        byte[] json = _writer.Write(ecs, SensorClock.UnixNowNs());
        _emit(new SensorEvent(action, p.Pid, json, SensorClock.UnixNsToDateTimeOffset(ts), (long)ev.TimestampNs, receivedTimestamp));
    }
}
