namespace Vigil.Sensor.Tracking;

/// <summary>
/// Processes by pid, live and recently exited. Exited processes stay so that a later event can still
/// name its parent and leaders; they are evicted after <see cref="Retention"/> or when more than
/// <see cref="MaxExited"/> are kept, oldest exit first, and every eviction is counted.
/// </summary>
internal sealed class ProcessTable
{
    private readonly Dictionary<int, ProcessEntry> _byPid = new(4096);
    private readonly Queue<ProcessEntry> _exited = new();

    public ProcessTable(TimeSpan retention, int maxExited)
    {
        Retention = retention;
        MaxExited = Math.Max(0, maxExited);
    }

    public TimeSpan Retention { get; }

    public int MaxExited { get; }

    /// <summary>Entries currently held (live and exited).</summary>
    public int Count => _byPid.Count;

    /// <summary>Exited entries removed so far.</summary>
    public long Evicted { get; private set; }

    public ProcessEntry? Get(int pid) => _byPid.GetValueOrDefault(pid);

    /// <summary>Adds or replaces the entry for its pid (a new process reusing a pid replaces the old one).</summary>
    public void Put(ProcessEntry entry) => _byPid[entry.Pid] = entry;

    /// <summary>Marks an entry exited and queues it for eviction.</summary>
    public void MarkExited(ProcessEntry entry, long monotonicNs)
    {
        if (entry.Exited)
        {
            return;
        }

        entry.Exited = true;
        entry.ExitedAtNs = monotonicNs;
        _exited.Enqueue(entry);
    }

    /// <summary>Live entries, for resynchronisation.</summary>
    public IEnumerable<ProcessEntry> Live()
    {
        foreach (ProcessEntry e in _byPid.Values)
        {
            if (!e.Exited)
            {
                yield return e;
            }
        }
    }

    /// <summary>Removes exited entries older than the retention, or beyond the cap. Returns how many went.</summary>
    public int Evict(long nowMonotonicNs)
    {
        long retentionNs = Retention.Ticks * 100;
        int removed = 0;
        while (_exited.TryPeek(out ProcessEntry? oldest)
               && (_exited.Count > MaxExited || nowMonotonicNs - oldest.ExitedAtNs > retentionNs))
        {
            _exited.Dequeue();

            // The pid may already belong to a newer process; only drop the slot if it is still this one.
            if (_byPid.TryGetValue(oldest.Pid, out ProcessEntry? current) && ReferenceEquals(current, oldest))
            {
                _byPid.Remove(oldest.Pid);
            }

            removed++;
        }

        Evicted += removed;
        return removed;
    }
}
