using Vigil.Sensor.Interop;

namespace Vigil.Sensor;

/// <summary>
/// Converts kernel clocks to wall-clock time. Proc connector events carry CLOCK_MONOTONIC ns; process
/// start times in /proc are clock ticks since boot (CLOCK_BOOTTIME). The monotonic offset is refreshed
/// now and then to follow NTP adjustments; the boot offset is taken once so that a process's
/// <c>process.start</c> is identical in every document about it.
/// </summary>
internal sealed class SensorClock
{
    private long _monotonicToUnixNs;

    public SensorClock()
    {
        TicksPerSecond = Math.Max(1, LibC.SysConf(LibC.SC_CLK_TCK));
        long real = LibC.ClockNs(LibC.CLOCK_REALTIME);
        long boot = LibC.ClockNs(LibC.CLOCK_BOOTTIME);
        BootUnixNs = real - boot;
        Refresh();
    }

    /// <summary>USER_HZ: the unit of stat's start time.</summary>
    public long TicksPerSecond { get; }

    /// <summary>Wall-clock time of boot in ns since the Unix epoch.</summary>
    public long BootUnixNs { get; }

    /// <summary>Re-reads the monotonic/realtime offset.</summary>
    public void Refresh()
    {
        long before = LibC.ClockNs(LibC.CLOCK_MONOTONIC);
        long real = LibC.ClockNs(LibC.CLOCK_REALTIME);
        long after = LibC.ClockNs(LibC.CLOCK_MONOTONIC);
        Volatile.Write(ref _monotonicToUnixNs, real - before - ((after - before) / 2));
    }

    public static long MonotonicNowNs() => LibC.ClockNs(LibC.CLOCK_MONOTONIC);

    public static long UnixNowNs() => LibC.ClockNs(LibC.CLOCK_REALTIME);

    public long MonotonicToUnixNs(long monotonicNs) => monotonicNs + Volatile.Read(ref _monotonicToUnixNs);

    public long TicksToUnixNs(ulong ticks) => BootUnixNs + (long)(ticks * (ulong)(1_000_000_000L / TicksPerSecond));

    /// <summary>Estimated start ticks of a process forked at a monotonic time, when /proc could not be read.</summary>
    public ulong MonotonicToTicks(long monotonicNs)
    {
        long sinceBoot = MonotonicToUnixNs(monotonicNs) - BootUnixNs;
        return sinceBoot <= 0 ? 0 : (ulong)(sinceBoot / (1_000_000_000L / TicksPerSecond));
    }

    public static DateTimeOffset UnixNsToDateTimeOffset(long unixNs) =>
        new(DateTime.UnixEpoch.Ticks + (unixNs / 100), TimeSpan.Zero);
}
