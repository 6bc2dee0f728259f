using System.Runtime.InteropServices;

namespace Vigil.Sensor.Tests;

/// <summary>
/// The privilege check for real: capabilities are per thread on Linux, so a dedicated thread drops
/// CAP_NET_ADMIN from its effective set (keeping it permitted, so it can take it back) and starts a
/// sensor. (Since Linux 6.6 the kernel itself lets anyone subscribe, so on this machine the refusal
/// comes from the sensor's own check; on older kernels bind would also fail with EPERM, which maps to
/// the same exception.)
/// </summary>
[Collection("kernel")]
public sealed partial class PrivilegeFailureTests
{
    private const uint CapabilityVersion3 = 0x20080522;

    [RootFact]
    public void Start_WithoutNetAdmin_FailsWithAMessageSayingWhatIsMissing()
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            var header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
            var data = new CapData[2];
            Assert.Equal(0, CapGet(ref header, data));
            CapData[] saved = [data[0], data[1]];
            data[0].Effective &= ~(1u << SensorPrivileges.CapNetAdmin);
            Assert.Equal(0, CapSet(ref header, data));
            var sensor = new ProcessSensor();
            try
            {
                sensor.Start();
            }
            catch (Exception ex)
            {
                caught = ex;
            }
            finally
            {
                _ = CapSet(ref header, saved);
                sensor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        thread.Start();
        thread.Join();

        SensorPrivilegeException e = Assert.IsType<SensorPrivilegeException>(caught);
        Assert.Contains("CAP_NET_ADMIN", e.Message, StringComparison.Ordinal);
        Assert.Contains("run as root", e.Message, StringComparison.Ordinal);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapHeader header, [Out] CapData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapHeader header, [In] CapData[] data);
}
