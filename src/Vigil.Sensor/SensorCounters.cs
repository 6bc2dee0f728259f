namespace Vigil.Sensor;

/// <summary>Counters written by the receive thread and read by anyone through <see cref="Snapshot"/>.</summary>
internal sealed class SensorCounters
{
    public long MessagesReceived;
    public long EventsEmitted;
    public long KernelOverruns;
    public long LostMessages;
    public long ConsumerDrops;
    public long Resyncs;
    public long EnrichmentFailures;
    public int ProcessesTracked;
    public long ProcessesEvicted;
    public int ReceiveBufferBytes;
    public DateTimeOffset StartedAt;
    public volatile string ReceiveThreadScheduling = "default";

    public SensorStats Snapshot() => new(
        Interlocked.Read(ref MessagesReceived),
        Interlocked.Read(ref EventsEmitted),
        Interlocked.Read(ref KernelOverruns),
        Interlocked.Read(ref LostMessages),
        Interlocked.Read(ref ConsumerDrops),
        Interlocked.Read(ref Resyncs),
        Interlocked.Read(ref EnrichmentFailures),
        Volatile.Read(ref ProcessesTracked),
        Interlocked.Read(ref ProcessesEvicted),
        Volatile.Read(ref ReceiveBufferBytes),
        StartedAt,
        ReceiveThreadScheduling);
}
