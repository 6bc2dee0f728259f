namespace Vigil.Sensor.Tracking;

/// <summary>An executable image a process ran before an exec replaced it (ECS <c>process.previous</c>).</summary>
internal sealed record ProcessImage(string[]? Args, string? Executable);

/// <summary>
/// What the sensor knows about one process (thread-group leader). Mutable and owned by the receive
/// thread: an exec updates the image in place, an exit marks it, the table evicts it later.
/// Fields rather than properties because this is the hot, single-threaded core.
/// </summary>
internal sealed class ProcessEntry
{
    public ProcessEntry(int pid) => Pid = pid;

    public int Pid { get; }

    public int ParentPid;
    public int ProcessGroupId;
    public int SessionId;
    public int TtyNr;

    /// <summary>Start time in clock ticks since boot (stat field 22); identifies the process together with the pid.</summary>
    public ulong StartTicks;
    public bool StartKnown;
    public long StartUnixNs;
    public string? EntityId;

    public string? Comm;
    public string? Name;
    public string? Executable;
    public string[]? Args;
    public string? WorkingDirectory;

    public bool HasIds;
    public uint UserId;
    public uint GroupId;
    public string? UserName;
    public string? GroupName;

    public string? ContainerId;
    public ulong PidNamespace;
    public ulong MountNamespace;
    /// <summary>Pid inside the innermost pid namespace (last NSpid value); 0 when unknown.</summary>
    public int NamespacePid;
    public int NamespaceDepth;

    public ProcessImage? Previous;

    /// <summary>The entry leader (possibly this entry); its <see cref="EntryLeaderType"/> says what kind.</summary>
    public ProcessEntry? EntryLeader;
    /// <summary>Set when this process is itself an entry leader: init, container, terminal, console, sshd, ssm.</summary>
    public string? EntryLeaderType;

    public bool Exited;
    /// <summary>CLOCK_MONOTONIC ns of the exit, for eviction.</summary>
    public long ExitedAtNs;
    public long EndUnixNs;
    public int ExitCode;

    /// <summary>True once an exec or a /proc read filled the image (args, executable).</summary>
    public bool HasImage => Args is not null || Executable is not null;

    /// <summary>Copies what a forked child shares with its parent at the moment of fork.</summary>
    public void InheritFrom(ProcessEntry parent)
    {
        ParentPid = parent.Pid;
        ProcessGroupId = parent.ProcessGroupId;
        SessionId = parent.SessionId;
        TtyNr = parent.TtyNr;
        Comm = parent.Comm;
        Name = parent.Name;
        Executable = parent.Executable;
        Args = parent.Args;
        WorkingDirectory = parent.WorkingDirectory;
        HasIds = parent.HasIds;
        UserId = parent.UserId;
        GroupId = parent.GroupId;
        UserName = parent.UserName;
        GroupName = parent.GroupName;
        ContainerId = parent.ContainerId;
        PidNamespace = parent.PidNamespace;
        MountNamespace = parent.MountNamespace;
        NamespaceDepth = parent.NamespaceDepth;
        EntryLeader = parent.EntryLeader;
    }

    /// <summary>
    /// Takes what an exec-time /proc read found. The old image is stale after an exec, so name, comm,
    /// args and executable are replaced even when the read failed (absent beats wrong); what an exec does
    /// not change (working directory, cgroup, namespaces, parentage) is kept when it could not be read.
    /// </summary>
    public void ApplyCapture(ProcessEntry snapshot, Procfs.EnrichResult result)
    {
        Comm = snapshot.Comm;
        Name = snapshot.Name;
        Args = snapshot.Args;
        Executable = snapshot.Executable;
        if ((result & Procfs.EnrichResult.Stat) != 0)
        {
            ParentPid = snapshot.ParentPid;
            ProcessGroupId = snapshot.ProcessGroupId;
            SessionId = snapshot.SessionId;
            TtyNr = snapshot.TtyNr;
            StartTicks = snapshot.StartTicks;
            StartKnown = snapshot.StartKnown;
            StartUnixNs = snapshot.StartUnixNs;
            EntityId = snapshot.EntityId;
        }

        if ((result & Procfs.EnrichResult.WorkingDirectory) != 0)
        {
            WorkingDirectory = snapshot.WorkingDirectory;
        }

        if ((result & Procfs.EnrichResult.Status) != 0)
        {
            HasIds = true;
            UserId = snapshot.UserId;
            GroupId = snapshot.GroupId;
            NamespacePid = snapshot.NamespacePid;
            NamespaceDepth = snapshot.NamespaceDepth;
        }

        if ((result & Procfs.EnrichResult.Cgroup) != 0)
        {
            ContainerId = snapshot.ContainerId;
        }

        if ((result & Procfs.EnrichResult.Namespaces) != 0)
        {
            PidNamespace = snapshot.PidNamespace;
            MountNamespace = snapshot.MountNamespace;
        }
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> (found in the table by pid) can really be the process this
    /// entry refers to as parent or leader: a pid reused after the real one exited starts later.
    /// </summary>
    public bool CouldBeAncestor(ProcessEntry candidate) =>
        !candidate.StartKnown || !StartKnown || candidate.StartTicks <= StartTicks;
}
