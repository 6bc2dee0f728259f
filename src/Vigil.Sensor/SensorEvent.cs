using System.Diagnostics;
using System.Text;

namespace Vigil.Sensor;

/// <summary>What happened to the process.</summary>
public enum SensorEventAction
{
    /// <summary>The process was created by fork/clone (<c>event.action: fork</c>).</summary>
    Fork,

    /// <summary>The process replaced its image with execve (<c>event.action: exec</c>).</summary>
    Exec,

    /// <summary>The process exited (<c>event.action: end</c>).</summary>
    End,
}

/// <summary>One process event as an ECS document, with the timing the CLI needs to measure latency.</summary>
public sealed class SensorEvent
{
    internal SensorEvent(SensorEventAction action, int processId, byte[] json, DateTimeOffset timestamp, long kernelMonotonicNs, long receivedTimestamp)
    {
        Action = action;
        ProcessId = processId;
        Json = json;
        Timestamp = timestamp;
        KernelMonotonicNs = kernelMonotonicNs;
        ReceivedTimestamp = receivedTimestamp;
    }

    /// <summary>Fork, exec or end.</summary>
    public SensorEventAction Action { get; }

    /// <summary>The host pid (<c>process.pid</c>).</summary>
    public int ProcessId { get; }

    /// <summary>The ECS document: one UTF-8 JSON object with nested objects, no trailing newline.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>When the kernel produced the event (<c>@timestamp</c>), in UTC.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The kernel's CLOCK_MONOTONIC timestamp of the event, in nanoseconds.</summary>
    public long KernelMonotonicNs { get; }

    /// <summary>
    /// <see cref="Stopwatch.GetTimestamp"/> when the sensor received the message; use
    /// <see cref="Stopwatch.GetElapsedTime(long)"/> to measure from receipt to, say, an alert.
    /// </summary>
    public long ReceivedTimestamp { get; }

    /// <summary>
    /// Time since the kernel produced the event (CLOCK_MONOTONIC now minus <see cref="KernelMonotonicNs"/>):
    /// the full exec-to-here latency including the time spent in the kernel's socket queue.
    /// </summary>
    public TimeSpan ElapsedSinceKernelEvent() =>
        TimeSpan.FromTicks(Math.Max(0, SensorClock.MonotonicNowNs() - KernelMonotonicNs) / 100);

    /// <summary>The document as a string.</summary>
    public override string ToString() => Encoding.UTF8.GetString(Json.Span);
}
