using System.Text;
using Vigil.Sensor.Tracking;

namespace Vigil.Sensor.Procfs;

/// <summary>What an enrichment managed to read.</summary>
[Flags]
internal enum EnrichResult
{
    None = 0,
    Stat = 1,
    Image = 2,
    Status = 4,
    Cgroup = 8,
    WorkingDirectory = 16,
    Namespaces = 32,
    Complete = Stat | Image | Status | Cgroup | WorkingDirectory | Namespaces,
}

/// <summary>
/// Fills <see cref="ProcessEntry"/> from <c>/proc/PID</c>. Reads are ordered by how soon they vanish:
/// <c>cmdline</c>, <c>exe</c> and <c>cwd</c> disappear as soon as the process starts exiting, while
/// <c>stat</c>, <c>status</c> and <c>cgroup</c> survive until it is reaped.
/// </summary>
internal sealed class ProcessReader
{
    private readonly ProcFs _fs;
    private readonly SensorClock _clock;
    private readonly UserNames _users;
    private readonly string _bootId;

    // The same few cgroup files repeat for every process of a container: remember the last answers.
    private readonly Dictionary<int, (byte[] Raw, string? Id)> _cgroupCache = [];

    public ProcessReader(ProcFs fs, SensorClock clock, UserNames users, string bootId)
    {
        _fs = fs;
        _clock = clock;
        _users = users;
        _bootId = bootId;
    }

    public ProcFs Fs => _fs;

    /// <summary>Reads everything for an exec or a newly seen process.</summary>
    public EnrichResult ReadAll(ProcessEntry e)
    {
        EnrichResult result = EnrichResult.None;
        if (ReadImage(e))
        {
            result |= EnrichResult.Image;
        }

        if (_fs.TryReadLink(e.Pid, "cwd"u8, out ReadOnlySpan<byte> cwd))
        {
            e.WorkingDirectory = Encoding.UTF8.GetString(cwd);
            result |= EnrichResult.WorkingDirectory;
        }

        if (ReadStat(e))
        {
            result |= EnrichResult.Stat;
        }

        // An exec after the image was read would give this image's arguments the next one's command name: read both again.
        for (int attempt = 0; attempt < 2 && e.Executable is not null && ReadExecutable(e.Pid) is { } now && now != e.Executable; attempt++)
        {
            ReadImage(e);
            ReadStat(e);
        }

        if (ReadStatus(e))
        {
            result |= EnrichResult.Status;
        }

        if (ReadCgroup(e))
        {
            result |= EnrichResult.Cgroup;
        }

        ulong pidNs = _fs.ReadNamespaceInode(e.Pid, "ns/pid"u8);
        ulong mntNs = _fs.ReadNamespaceInode(e.Pid, "ns/mnt"u8);
        if (pidNs != 0)
        {
            e.PidNamespace = pidNs;
            e.MountNamespace = mntNs;
            result |= EnrichResult.Namespaces;
        }

        ResolveNames(e);
        e.Name = DeriveName(e.Comm, e.Executable) ?? ArgumentName(e.Args);
        return result;
    }

    /// <summary>
    /// cmdline and exe: the image after an exec. The executable is read before and after the arguments, and both again when
    /// it changed (an exec in between would pair one image's arguments with the next image's executable).
    /// </summary>
    public bool ReadImage(ProcessEntry e)
    {
        string[]? args = null;
        string? exe = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string? before = ReadExecutable(e.Pid);
            args = null;
            if (_fs.TryRead(e.Pid, "cmdline"u8, out ReadOnlySpan<byte> cmdline) && !cmdline.IsEmpty)
            {
                args = SplitCmdline(cmdline);
            }

            exe = ReadExecutable(e.Pid);
            if (before == exe)
            {
                break;
            }
        }

        e.Args = args;
        e.Executable = exe;
        return args is not null && exe is not null;
    }

    private string? ReadExecutable(int pid) => _fs.TryReadLink(pid, "exe"u8, out ReadOnlySpan<byte> link) ? CleanExecutable(link) : null;

    /// <summary>stat: parent, group, session, tty, start time, command name.</summary>
    public bool ReadStat(ProcessEntry e)
    {
        if (!_fs.TryRead(e.Pid, "stat"u8, out ReadOnlySpan<byte> text) || ProcStat.Parse(text) is not { } stat)
        {
            return false;
        }

        ApplyStat(e, stat);
        return true;
    }

    /// <summary>Copies stat fields into the entry and derives start time and entity id.</summary>
    public void ApplyStat(ProcessEntry e, ProcStat stat)
    {
        e.ParentPid = stat.ParentPid;
        e.ProcessGroupId = stat.ProcessGroupId;
        e.SessionId = stat.SessionId;
        e.TtyNr = stat.TtyNr;
        e.Comm = stat.Comm;
        SetStart(e, stat.StartTicks);
    }

    /// <summary>Sets the start ticks and what derives from them (start time, entity id).</summary>
    public void SetStart(ProcessEntry e, ulong ticks)
    {
        if (e.StartKnown && e.StartTicks == ticks && e.EntityId is not null)
        {
            return;
        }

        e.StartTicks = ticks;
        e.StartKnown = true;
        e.StartUnixNs = _clock.TicksToUnixNs(ticks);
        e.EntityId = EntityId(_bootId, e.Pid, ticks);
    }

    /// <summary>status: effective user and group, pid inside the container's namespace.</summary>
    public bool ReadStatus(ProcessEntry e)
    {
        if (!_fs.TryRead(e.Pid, "status"u8, out ReadOnlySpan<byte> text) || ProcStatus.Parse(text) is not { } status)
        {
            return false;
        }

        e.HasIds = true;
        e.UserId = status.EffectiveUid;
        e.GroupId = status.EffectiveGid;
        e.NamespacePid = status.NamespacePid;
        e.NamespaceDepth = status.NamespaceDepth;
        return true;
    }

    /// <summary>cgroup: the container id, if any.</summary>
    public bool ReadCgroup(ProcessEntry e)
    {
        if (!_fs.TryRead(e.Pid, "cgroup"u8, out ReadOnlySpan<byte> text))
        {
            return false;
        }

        var hash = default(HashCode);
        hash.AddBytes(text);
        int key = hash.ToHashCode();
        if (_cgroupCache.TryGetValue(key, out (byte[] Raw, string? Id) cached) && text.SequenceEqual(cached.Raw))
        {
            e.ContainerId = cached.Id;
            return true;
        }

        string? id = ContainerIdParser.Parse(text);
        if (_cgroupCache.Count > 4096)
        {
            _cgroupCache.Clear();
        }

        _cgroupCache[key] = (text.ToArray(), id);
        e.ContainerId = id;
        return true;
    }

    /// <summary>Fills user and group names from ids.</summary>
    public void ResolveNames(ProcessEntry e)
    {
        if (!e.HasIds)
        {
            return;
        }

        bool inContainer = e.ContainerId is not null;
        e.UserName = _users.User(e.UserId, inContainer);
        e.GroupName = _users.Group(e.GroupId, inContainer);
    }

    /// <summary>Reloads user/group names (resync).</summary>
    public void ReloadNames() => _users.Reload();

    /// <summary>
    /// ECS <c>process.name</c>. The executable's basename gives full names where comm is cut at 15
    /// characters ("dpkg-preconfigure"), but comm is right where the executable is an interpreter or a
    /// multi-call binary (a "#!/bin/sh" script named apt-get, a busybox applet), so the basename is used
    /// only when comm is a prefix of it.
    /// </summary>
    public static string? DeriveName(string? comm, string? executable)
    {
        if (executable is not null)
        {
            int slash = executable.LastIndexOf('/');
            string baseName = slash < 0 ? executable : executable[(slash + 1)..];
            if (comm is null || (comm.Length > 0 && baseName.StartsWith(comm, StringComparison.Ordinal)))
            {
                return baseName;
            }
        }

        return comm;
    }

    /// <summary>
    /// Last resort for <c>process.name</c> when the process exited between the cmdline read and the
    /// stat read: the basename of argv[0].
    /// </summary>
    public static string? ArgumentName(string[]? args)
    {
        if (args is not { Length: > 0 } || args[0].Length == 0)
        {
            return null;
        }

        string first = args[0];
        int slash = first.LastIndexOf('/');
        return slash < 0 ? first : first[(slash + 1)..];
    }

    /// <summary>Splits NUL-separated cmdline bytes; a trailing NUL does not make an empty last argument.</summary>
    public static string[] SplitCmdline(ReadOnlySpan<byte> cmdline)
    {
        if (!cmdline.IsEmpty && cmdline[^1] == 0)
        {
            cmdline = cmdline[..^1];
        }

        int count = cmdline.Count((byte)0) + 1;
        string[] args = new string[count];
        for (int i = 0; i < count; i++)
        {
            int nul = cmdline.IndexOf((byte)0);
            ReadOnlySpan<byte> arg = nul < 0 ? cmdline : cmdline[..nul];
            args[i] = arg.IsEmpty ? string.Empty : Encoding.UTF8.GetString(arg);
            cmdline = nul < 0 ? default : cmdline[(nul + 1)..];
        }

        return args;
    }

    /// <summary>The exe link target without the " (deleted)" the kernel appends for unlinked files.</summary>
    public static string CleanExecutable(ReadOnlySpan<byte> link)
    {
        if (link.EndsWith(" (deleted)"u8))
        {
            link = link[..^" (deleted)"u8.Length];
        }

        return Encoding.UTF8.GetString(link);
    }

    /// <summary>
    /// Stable id for a process's lifetime: base64 of "bootid-pid-startticks". The boot id scopes it to
    /// this boot of this host (pids and ticks restart at boot); exec does not change it.
    /// </summary>
    public static string EntityId(string bootId, int pid, ulong startTicks)
    {
        Span<byte> raw = stackalloc byte[128];
        int n = Encoding.ASCII.GetBytes(bootId.AsSpan(0, Math.Min(bootId.Length, 64)), raw);
        raw[n++] = (byte)'-';
        System.Buffers.Text.Utf8Formatter.TryFormat(pid, raw[n..], out int w);
        n += w;
        raw[n++] = (byte)'-';
        System.Buffers.Text.Utf8Formatter.TryFormat(startTicks, raw[n..], out w);
        n += w;
        return Convert.ToBase64String(raw[..n]);
    }
}
