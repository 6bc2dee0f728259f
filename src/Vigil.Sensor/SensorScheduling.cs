using System.Globalization;
using Vigil.Sensor.Interop;

namespace Vigil.Sensor;

/// <summary>Thread scheduling for the latency-sensitive parts of a sensor pipeline.</summary>
public static class SensorScheduling
{
    /// <summary>
    /// Applies <paramref name="scheduling"/> to the calling OS thread and says what it got:
    /// <c>"SCHED_FIFO 1"</c>, <c>"nice -10"</c> or <c>"default"</c>. Realtime falls back to nice -10, and
    /// that to nothing, when CAP_SYS_NICE or RLIMIT_RTPRIO forbids it. The sensor's receive thread uses
    /// this; a consumer that must keep exec-to-alert latency low under CPU saturation can call it on a
    /// dedicated thread that reads <see cref="ProcessSensor.Events"/> (a thread-pool thread must not be changed).
    /// </summary>
    public static unsafe string ApplyToCurrentThread(SensorThreadScheduling scheduling, int realtimePriority = 1)
    {
        int tid = LibC.GetTid();
        if (scheduling == SensorThreadScheduling.Realtime)
        {
            int priority = Math.Clamp(realtimePriority, 1, 99);
            if (LibC.SchedSetScheduler(tid, LibC.SCHED_FIFO, &priority) == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"SCHED_FIFO {priority}");
            }
        }

        if (scheduling != SensorThreadScheduling.Default && LibC.SetPriority(LibC.PRIO_PROCESS, (uint)tid, -10) == 0)
        {
            return "nice -10";
        }

        return "default";
    }
}
