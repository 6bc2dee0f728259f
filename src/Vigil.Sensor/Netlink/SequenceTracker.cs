namespace Vigil.Sensor.Netlink;

/// <summary>
/// Counts lost messages from the proc connector's sequence numbers. The kernel numbers every message
/// it multicasts with a per-CPU counter (cn_msg.seq, and proc_event.cpu says which CPU), so with no
/// kernel-side filtering a jump on one CPU is exactly the number of messages that never reached us.
/// </summary>
internal sealed class SequenceTracker
{
    // A jump this large is not loss but a counter we cannot interpret (wrap after a very long pause, a
    // kernel that numbers differently); count nothing and start over from it.
    private const uint ImplausibleGap = 1u << 24;

    private uint[] _next = new uint[64];
    private bool[] _seen = new bool[64];

    /// <summary>Records a message and returns how many messages on its CPU were skipped before it.</summary>
    public long Observe(uint cpu, uint sequence)
    {
        if (cpu >= 4096)
        {
            // The ack to a subscription has cpu = -1 on older kernels and is not numbered.
            return 0;
        }

        if (cpu >= _next.Length)
        {
            int size = (int)Math.Max(cpu + 1, (uint)_next.Length * 2);
            Array.Resize(ref _next, size);
            Array.Resize(ref _seen, size);
        }

        long missed = 0;
        if (_seen[cpu])
        {
            uint gap = unchecked(sequence - _next[cpu]);
            if (gap != 0 && gap < ImplausibleGap)
            {
                missed = gap;
            }
        }

        _seen[cpu] = true;
        _next[cpu] = unchecked(sequence + 1);
        return missed;
    }
}
