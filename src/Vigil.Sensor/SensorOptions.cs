namespace Vigil.Sensor;

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

    /// <summary>How long <see cref="ProcessSensor.Start"/> waits for the kernel to acknowledge the subscription.</summary>
    public TimeSpan SubscribeTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
