namespace Vigil.Sensor;

/// <summary>How the receive thread is scheduled.</summary>
public enum SensorThreadScheduling
{
    /// <summary>Leave it as the runtime created it.</summary>
    Default,

    /// <summary>Nice -10: more CPU share, but a woken thread may still wait behind the running task.</summary>
    Boosted,

    /// <summary>SCHED_FIFO at <see cref="SensorOptions.RealtimePriority"/>, falling back to <see cref="Boosted"/>.</summary>
    Realtime,
}

/// <summary>Settings for <see cref="ProcessSensor"/>. The defaults suit a host sensor running as root.</summary>
public sealed class SensorOptions
{
    /// <summary>Value for <c>host.name</c>; null or blank uses the kernel host name.</summary>
    public string? HostName { get; init; }

    /// <summary>Emit <c>event.action: fork</c> documents. Exec and end are always emitted.</summary>
    public bool IncludeForks { get; init; } = true;

    /// <summary>
    /// Emit fork and end documents for threads (pid != tgid) too, with <c>process.thread.id</c>. Off by
    /// default: threads are not processes, and a busy JVM would drown everything else.
    /// </summary>
    public bool IncludeThreadEvents { get; init; }

    /// <summary>
    /// Socket receive buffer in bytes, set with SO_RCVBUFFORCE. Each 76-byte message costs about 1 KiB of
    /// buffer in the kernel, so the default 8 MiB absorbs a burst of several thousand events.
    /// </summary>
    public int ReceiveBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Upper bound when the buffer is doubled after the kernel reports an overrun (ENOBUFS).</summary>
    public int MaxReceiveBufferBytes { get; init; } = 128 * 1024 * 1024;

    /// <summary>Where /proc is mounted; tests point this at a fake tree.</summary>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>How many documents may wait for the consumer before new ones are dropped (and counted).</summary>
    public int ChannelCapacity { get; init; } = 65_536;

    /// <summary>How long an exited process stays known, so later events can still name it as parent or leader.</summary>
    public TimeSpan ExitedProcessRetention { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many exited processes are kept; the oldest exits are evicted first.</summary>
    public int MaxExitedProcesses { get; init; } = 32_768;

    /// <summary>
    /// Scheduling of the receive thread. Realtime by default: /proc must be read before a short-lived
    /// process exits, which needs the thread to run the moment a message arrives, not after the exec'ing
    /// task yields. The thread sleeps when idle and its work per event is a few microseconds.
    /// </summary>
    public SensorThreadScheduling ReceiveThreadScheduling { get; init; } = SensorThreadScheduling.Realtime;

    /// <summary>SCHED_FIFO priority for <see cref="SensorThreadScheduling.Realtime"/> (1–99; low is enough to preempt ordinary tasks).</summary>
    public int RealtimePriority { get; init; } = 1;

    /// <summary>How long <see cref="ProcessSensor.Start"/> waits for the kernel to acknowledge the subscription.</summary>
    public TimeSpan SubscribeTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
