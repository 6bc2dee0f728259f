using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Vigil.Sensor.Procfs;

namespace Vigil.Sensor;

/// <summary>Checks, before starting, that this process can receive proc connector events.</summary>
public static class SensorPrivileges
{
    /// <summary>CAP_NET_ADMIN's bit in the capability masks.</summary>
    internal const int CapNetAdmin = 12;

    /// <summary>Inode of the initial pid namespace (PROC_PID_INIT_INO), fixed since Linux 3.8.</summary>
    internal const ulong InitPidNamespace = 0xEFFFFFFC;

    /// <summary>Inode of the initial user namespace (PROC_USER_INIT_INO).</summary>
    internal const ulong InitUserNamespace = 0xEFFFFFFD;

    /// <summary>
    /// Returns null when the sensor can run, otherwise a message saying what is missing and how to fix it.
    /// Checks CAP_NET_ADMIN in the calling thread's effective set (/proc/thread-self/status CapEff, bit 12), the initial pid and
    /// user namespaces (the kernel silently ignores subscriptions from others) and, where /proc/1 is
    /// readable, the host network namespace (the connector's kernel socket lives in init_net).
    /// </summary>
    public static string? Check() => Check("/proc");

    internal static string? Check(string procRoot)
    {
        // Capabilities are per thread: thread-self is the thread that will open the socket and start the
        // receive thread (which inherits them); self would be the main thread's.
        string? status = ReadText(Path.Combine(procRoot, "thread-self", "status")) ?? ReadText(Path.Combine(procRoot, "self", "status"));

        ulong pidNs = Namespace(procRoot, "self", "pid");
        ulong userNs = Namespace(procRoot, "self", "user");
        ulong netNs = Namespace(procRoot, "self", "net");

        // /proc/1 is the host's init only when we share its pid namespace.
        ulong initNetNs = pidNs == InitPidNamespace ? Namespace(procRoot, "1", "net") : 0;
        return Evaluate(status, pidNs, userNs, netNs, initNetNs);
    }

    /// <summary>The decision, from already-read facts (0 = unknown, not checked).</summary>
    internal static string? Evaluate(string? statusText, ulong pidNs, ulong userNs, ulong netNs, ulong initNetNs)
    {
        var problems = new List<string>();
        ulong? caps = statusText is null ? null : ProcStatus.ParseEffectiveCapabilities(statusText);
        if (caps is null)
        {
            problems.Add("cannot read the effective capabilities (CapEff in /proc/self/status); the sensor needs root or CAP_NET_ADMIN");
        }
        else if ((caps.Value & (1UL << CapNetAdmin)) == 0)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"missing CAP_NET_ADMIN (effective capabilities CapEff={caps.Value:x16}): kernels before 6.6 accept process-connector (netlink NETLINK_CONNECTOR, group CN_IDX_PROC) subscribers only with it, and the sensor needs it to raise its receive buffer so bursts are not dropped; run as root (sudo) so /proc of every process is readable too, or grant the capability (setcap cap_net_admin+ep, docker run --cap-add NET_ADMIN, Kubernetes securityContext.capabilities.add: [NET_ADMIN])"));
        }

        if (userNs != 0 && userNs != InitUserNamespace)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"running in a user namespace other than the host's (user:[{userNs}]): capabilities there do not count and the kernel ignores the subscription; run without user-namespace remapping (docker --userns=host)"));
        }

        if (pidNs != 0 && pidNs != InitPidNamespace)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"running in a PID namespace other than the host's (pid:[{pidNs}]): the kernel silently ignores process-connector subscriptions from there; run in the host PID namespace (docker --pid=host, Kubernetes hostPID: true)"));
        }

        if (netNs != 0 && initNetNs != 0 && netNs != initNetNs)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"running in a network namespace other than the host's (net:[{netNs}], host net:[{initNetNs}]): the process connector only exists in the host network namespace; run with host networking (docker --network=host, Kubernetes hostNetwork: true)"));
        }

        return problems.Count == 0 ? null : "The process sensor cannot start: " + string.Join("; ", problems) + ".";
    }

    /// <summary>The message for an EPERM/EACCES from socket, bind or send.</summary>
    internal static string MissingPrivilegeMessage(string operation, int errno) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"The process sensor cannot start: the kernel refused to {operation} ({Marshal.GetPInvokeErrorMessage(errno)}, errno {errno}). It needs root or CAP_NET_ADMIN in the host's user, PID and network namespaces (docker: --pid=host --network=host --cap-add NET_ADMIN; Kubernetes: hostPID, hostNetwork, capabilities.add: [NET_ADMIN]).")
        + (Check() is { } detail ? " " + detail : string.Empty);

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong Namespace(string procRoot, string pid, string ns)
    {
        try
        {
            return new FileInfo(Path.Combine(procRoot, pid, "ns", ns)).LinkTarget is { } target
                ? ProcFs.ParseNamespaceInode(Encoding.UTF8.GetBytes(target))
                : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
