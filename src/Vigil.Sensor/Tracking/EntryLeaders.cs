using Vigil.Sensor.Procfs;

namespace Vigil.Sensor.Tracking;

/// <summary>
/// Entry-leader rules after beats' <c>processdb.evaluateEntryLeader</c> and quark's
/// <c>entry_leader_compute</c>: an entry leader is how a session entered the host — init, a login on a
/// terminal or console, sshd, SSM, or a container runtime starting a container's first process.
/// </summary>
internal static class EntryLeaders
{
    public const string Init = "init";
    public const string Container = "container";
    public const string Terminal = "terminal";
    public const string Console = "console";
    public const string Sshd = "sshd";
    public const string Ssm = "ssm";

    /// <summary>
    /// Decides the entry leader of <paramref name="p"/> after an exec (or when first seen): itself with a
    /// type when a rule matches, otherwise inherited from its parent, session leader or group leader.
    /// </summary>
    public static void Evaluate(ProcessEntry p, ProcessTable table)
    {
        // Kernel threads never lead anything.
        if (p.Pid == 2 || p.ParentPid == 2)
        {
            p.EntryLeader = null;
            p.EntryLeaderType = null;
            return;
        }

        ProcessEntry? parent = Related(p, p.ParentPid, table);
        string? type = OwnType(p, parent);
        if (type is not null)
        {
            p.EntryLeaderType = type;
            p.EntryLeader = p;
            return;
        }

        p.EntryLeaderType = null;
        if (p.EntryLeader is { } inherited && !ReferenceEquals(inherited, p))
        {
            return;
        }

        p.EntryLeader = parent?.EntryLeader
            ?? Related(p, p.SessionId, table)?.EntryLeader
            ?? Related(p, p.ProcessGroupId, table)?.EntryLeader;
        if (ReferenceEquals(p.EntryLeader, p))
        {
            p.EntryLeader = null;
        }
    }

    /// <summary>The rule that makes <paramref name="p"/> an entry leader itself, if any.</summary>
    internal static string? OwnType(ProcessEntry p, ProcessEntry? parent)
    {
        if (p.Pid == 1)
        {
            return Init;
        }

        if (IsRuntimeHelper(p.Name))
        {
            return null;
        }

        // The first process of a pid namespace inside a container cgroup: what the runtime started
        // (covers runtimes whose shim we cannot see, and our own unshare-based simulation).
        if (p.ContainerId is not null && p.NamespaceDepth > 1 && p.NamespacePid == 1)
        {
            return Container;
        }

        if (p.Pid != p.SessionId)
        {
            return null;
        }

        TtyDevice? tty = TtyDevice.Decode(p.TtyNr);
        string? parentName = parent?.Name;
        if (tty is { Major: 4, Minor: >= 64 and <= 255 })
        {
            return Terminal;
        }

        if (tty is { Major: 4 } && parentName == "login")
        {
            return Console;
        }

        if (p.ParentPid == 1)
        {
            return Init;
        }

        if (parentName is null)
        {
            return null;
        }

        if (parentName == "ssm-session-worker" && tty is { Major: >= 136 and <= 143 })
        {
            return Ssm;
        }

        // OpenSSH 9.8 moved the per-connection work into sshd-session.
        if (parentName is "sshd" or "sshd-session" && p.Name is not ("sshd" or "sshd-session"))
        {
            return Sshd;
        }

        if (parentName.StartsWith("containerd-shim", StringComparison.Ordinal)
            || parentName.StartsWith("runc", StringComparison.Ordinal)
            || parentName.StartsWith("conmon", StringComparison.Ordinal))
        {
            return Container;
        }

        return null;
    }

    /// <summary>Looks up a related process by pid, refusing a pid that was reused after the real one exited.</summary>
    public static ProcessEntry? Related(ProcessEntry p, int pid, ProcessTable table)
    {
        if (pid <= 0)
        {
            return null;
        }

        if (pid == p.Pid)
        {
            return p;
        }

        ProcessEntry? candidate = table.Get(pid);
        return candidate is not null && p.CouldBeAncestor(candidate) ? candidate : null;
    }

    private static bool IsRuntimeHelper(string? name) =>
        name is not null
        && (name.StartsWith("runc", StringComparison.Ordinal)
            || name.StartsWith("containerd-shim", StringComparison.Ordinal)
            || name.StartsWith("conmon", StringComparison.Ordinal)
            || name is "pause" or "calico-node" or "check-status");
}
