namespace Vigil.Sensor;

/// <summary>A snapshot of the sensor's counters. Never claims completeness the sensor did not have.</summary>
/// <param name="MessagesReceived">Proc connector messages read from the socket (all kinds).</param>
/// <param name="EventsEmitted">Documents handed to the consumer.</param>
/// <param name="KernelOverruns">Times the kernel reported ENOBUFS: its queue to us overflowed and messages were lost.</param>
/// <param name="LostMessages">Messages known lost from gaps in the kernel's per-CPU sequence numbers.</param>
/// <param name="ConsumerDrops">Documents dropped because the consumer did not keep up (channel full).</param>
/// <param name="Resyncs">Times the process table was rebuilt from /proc after a loss.</param>
/// <param name="EnrichmentFailures">Events whose process was gone before /proc could be read (the document is partial).</param>
/// <param name="ProcessesTracked">Processes in the table now (live and recently exited).</param>
/// <param name="ProcessesEvicted">Exited processes removed from the table by age or cap.</param>
/// <param name="ReceiveBufferBytes">The socket receive buffer currently in force.</param>
/// <param name="StartedAt">When <see cref="ProcessSensor.Start"/> completed.</param>
/// <param name="ReceiveThreadScheduling">What scheduling the receive thread got: "SCHED_FIFO 1", "nice -10" or "default".</param>
public sealed record SensorStats(
    long MessagesReceived,
    long EventsEmitted,
    long KernelOverruns,
    long LostMessages,
    long ConsumerDrops,
    long Resyncs,
    long EnrichmentFailures,
    int ProcessesTracked,
    long ProcessesEvicted,
    int ReceiveBufferBytes,
    DateTimeOffset StartedAt,
    string ReceiveThreadScheduling)
{
    /// <summary>Everything the kernel sent since start reached the consumer: no overrun, gap or drop.</summary>
    public bool Complete => KernelOverruns == 0 && LostMessages == 0 && ConsumerDrops == 0;
}

/// <summary>Kinds of data loss the sensor reports.</summary>
public enum SensorDataLossKind
{
    /// <summary>The kernel could not queue messages to our socket (ENOBUFS).</summary>
    KernelOverrun,

    /// <summary>The kernel's sequence numbers skipped: that many messages never arrived.</summary>
    SequenceGap,

    /// <summary>The consumer was too slow and documents were dropped.</summary>
    ConsumerBacklog,
}

/// <summary>Raised (at most about once a second per kind) when events were lost.</summary>
public sealed class SensorDataLossEventArgs : EventArgs
{
    internal SensorDataLossEventArgs(SensorDataLossKind kind, long count, string message, SensorStats stats)
    {
        Kind = kind;
        Count = count;
        Message = message;
        Stats = stats;
    }

    /// <summary>What was lost.</summary>
    public SensorDataLossKind Kind { get; }

    /// <summary>How many (overruns, messages or documents) since the previous notification of this kind.</summary>
    public long Count { get; }

    /// <summary>A sentence for stderr.</summary>
    public string Message { get; }

    /// <summary>The counters at the time of the notification.</summary>
    public SensorStats Stats { get; }
}
