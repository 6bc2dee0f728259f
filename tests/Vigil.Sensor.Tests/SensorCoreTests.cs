using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vigil.Sensor.Netlink;

namespace Vigil.Sensor.Tests;

/// <summary>The event pipeline (table, enrichment, leaders, documents) driven by synthetic events over a fake /proc.</summary>
public sealed partial class SensorCoreTests : IDisposable
{
    private const string Cid = "d526b8dd4efa1005aa368dbbfb1c644d56e84563b1a06f4f29f840cd0012d36c";
    private readonly FakeProcTree _proc = new();
    private readonly List<SensorEvent> _events = [];
    private readonly SensorCounters _counters = new();
    private SensorCore _core;
    private uint _seq;

    public SensorCoreTests()
    {
        // A host with an SSH login: init(1) -> sshd(100) -> bash(200, session leader on pts/0).
        _proc.AddProcess(1, 0, "systemd", ["/sbin/init"], "/usr/lib/systemd/systemd", startTicks: 1, sid: 1);
        _proc.AddProcess(100, 1, "sshd", ["sshd: /usr/sbin/sshd -D"], "/usr/sbin/sshd", startTicks: 50);
        _proc.AddProcess(200, 100, "bash", ["-bash"], "/usr/bin/bash", startTicks: 900, ttyNr: 34816, cwd: "/root");
        _core = NewCore(new SensorOptions { ProcRoot = _proc.Root, HostName = "sensor-host" });
        _core.Resync(initial: true);
    }

    public void Dispose()
    {
        _core.Dispose();
        _proc.Dispose();
    }

    [Fact]
    public void Resync_LearnsRunningProcessesAndTheirLeaders()
    {
        Assert.Equal(3, _core.Table.Count);
        Assert.Equal("init", _core.Table.Get(1)!.EntryLeaderType);
        Assert.Equal("init", _core.Table.Get(100)!.EntryLeaderType);   // a session leader started by init
        Assert.Equal("sshd", _core.Table.Get(200)!.EntryLeaderType);
        Assert.Same(_core.Table.Get(200), _core.Table.Get(200)!.EntryLeader);
    }

    [Fact]
    public void Exec_WhileTheImageIsRead_DoesNotPairOneImagesArgumentsWithTheNextImagesName()
    {
        // The shell execs apt-get while the sensor reads its cmdline: the read still returns the shell's arguments, but by
        // then exe and comm name apt-get (a FIFO stands in for cmdline so that the exec happens exactly during the read).
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "sh", ["sh", "-c", "exec apt-get install curl"], "/bin/sh", startTicks: 1000, pgrp: 300, sid: 200, ttyNr: 34816, cwd: "/root");
        string dir = Path.Combine(_proc.Root, "300");
        string cmdline = Path.Combine(dir, "cmdline");
        File.Delete(cmdline);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [cmdline])!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var exec = new Thread(() =>
        {
            // Opening for writing waits for the sensor to open the FIFO for reading.
            using var fifo = new FileStream(cmdline, FileMode.Open, FileAccess.Write);
            File.Delete(Path.Combine(dir, "exe"));
            File.CreateSymbolicLink(Path.Combine(dir, "exe"), "/usr/bin/apt-get");
            string stat = File.ReadAllText(Path.Combine(dir, "stat")).Replace("(sh)", "(apt-get)", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "stat"), stat);
            File.WriteAllText(cmdline + ".new", "apt-get\0install\0curl\0");
            File.Move(cmdline + ".new", cmdline, overwrite: true);
            fifo.Write("sh\0-c\0exec apt-get install curl\0"u8);
        });
        exec.Start();
        Exec(300);
        Assert.True(exec.Join(TimeSpan.FromSeconds(10)));

        JsonElement doc = JsonPath.Parse(_events[^1]);
        Assert.Equal("exec", doc.Str("event.action"));
        Assert.Equal("apt-get", doc.Str("process.name"));
        Assert.Equal("/usr/bin/apt-get", doc.Str("process.executable"));
        Assert.Equal(["apt-get", "install", "curl"], doc.Strs("process.args"));
    }

    [Fact]
    public void ForkExecExit_ProduceThreeDocumentsWithTheSameEntityId()
    {
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "apt-get", ["apt-get", "install", "curl"], "/usr/bin/apt-get", startTicks: 1000, pgrp: 300, sid: 200, ttyNr: 34816, cwd: "/root");
        Exec(300);
        Exit(300, status: 3 << 8, parent: 200);

        Assert.Equal(3, _events.Count);
        JsonElement fork = JsonPath.Parse(_events[0]);
        JsonElement exec = JsonPath.Parse(_events[1]);
        JsonElement end = JsonPath.Parse(_events[2]);

        Assert.Equal("fork", fork.Str("event.action"));
        Assert.Equal(["start"], fork.Strs("event.type"));
        Assert.Equal("bash", fork.Str("process.name"));
        Assert.Equal(["-bash"], fork.Strs("process.args"));
        Assert.Equal(200, fork.Num("process.parent.pid"));

        Assert.Equal("exec", exec.Str("event.action"));
        Assert.Equal(["start"], exec.Strs("event.type"));
        Assert.Equal(300, exec.Num("process.pid"));
        Assert.Equal("apt-get", exec.Str("process.name"));
        Assert.Equal("/usr/bin/apt-get", exec.Str("process.executable"));
        Assert.Equal(["apt-get", "install", "curl"], exec.Strs("process.args"));
        Assert.Equal(3, exec.Num("process.args_count"));
        Assert.Equal("apt-get install curl", exec.Str("process.command_line"));
        Assert.Equal("/root", exec.Str("process.working_directory"));
        Assert.True(exec.Bool("process.interactive"));
        Assert.Equal(136, exec.Num("process.tty.char_device.major"));
        Assert.Equal(0, exec.Num("process.tty.char_device.minor"));
        Assert.Equal(["-bash"], exec.At("process.previous").EnumerateArray().Single().Strs("args"));
        Assert.Equal("/usr/bin/bash", exec.At("process.previous").EnumerateArray().Single().Str("executable"));
        Assert.False(exec.Has("container"));
        Assert.Equal("0", exec.Str("user.id"));
        Assert.Equal("root", exec.Str("user.name"));
        Assert.Equal("0", exec.Str("group.id"));

        Assert.Equal("end", end.Str("event.action"));
        Assert.Equal(["end"], end.Strs("event.type"));
        Assert.Equal(3, end.Num("process.exit_code"));
        Assert.True(end.Has("process.end"));

        string entity = exec.Str("process.entity_id");
        Assert.Equal(entity, fork.Str("process.entity_id"));
        Assert.Equal(entity, end.Str("process.entity_id"));
        Assert.Equal($"{FakeProcTree.BootId}-300-1000", Encoding.ASCII.GetString(Convert.FromBase64String(entity)));
        Assert.Equal(exec.Str("process.start"), end.Str("process.start"));
    }

    [Fact]
    public void Exec_NamesParentAndLeaders()
    {
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "apt-get", ["apt-get", "install", "curl"], "/usr/bin/apt-get", startTicks: 1000, pgrp: 300, sid: 200, ttyNr: 34816);
        Exec(300);
        JsonElement exec = JsonPath.Parse(_events[^1]);

        JsonElement parent = exec.At("process.parent");
        Assert.Equal(200, parent.Num("pid"));
        Assert.Equal("bash", parent.Str("name"));
        Assert.Equal("/usr/bin/bash", parent.Str("executable"));
        Assert.Equal(["-bash"], parent.Strs("args"));
        Assert.True(parent.Bool("interactive"));
        Assert.Equal("0", parent.Str("user.id"));
        Assert.Equal("0", parent.Str("group.id"));
        Assert.Equal("/root", parent.Str("working_directory"));
        Assert.True(parent.Has("entity_id"));
        Assert.True(parent.Has("start"));

        Assert.Equal(200, exec.Num("process.session_leader.pid"));
        Assert.False(exec.Bool("process.session_leader.same_as_process"));
        Assert.Equal(300, exec.Num("process.group_leader.pid"));
        Assert.True(exec.Bool("process.group_leader.same_as_process"));
        Assert.Equal(200, exec.Num("process.entry_leader.pid"));
        Assert.Equal("sshd", exec.Str("process.entry_leader.entry_meta.type"));
        Assert.Equal(parent.Str("entity_id"), exec.Str("process.entry_leader.entity_id"));
    }

    [Fact]
    public void Exec_InContainer_HasContainerIdAndContainerEntryLeader()
    {
        // What the simulation builds: unshare's child (pid 1 in a new pid namespace) inside docker/<id>.
        string cgroup = $"9:name=systemd:/docker/{Cid}\n8:pids:/docker/{Cid}\n0::/docker/{Cid}\n";
        BashChild(500, 2000);
        Fork(parent: 200, child: 500);
        _proc.AddProcess(500, 200, "script", ["script", "-qfec", "exec apt-get install curl", "/dev/null"], "/usr/bin/script", startTicks: 2000, pgrp: 200, sid: 200, ttyNr: 34816, cgroup: cgroup, nsPids: [500, 1], pidNs: 4026532000);
        Exec(500);
        _proc.AddProcess(501, 500, "script", ["script", "-qfec", "exec apt-get install curl", "/dev/null"], "/usr/bin/script", startTicks: 2001, pgrp: 200, sid: 200, ttyNr: 34816, cgroup: cgroup, nsPids: [501, 2], pidNs: 4026532000);
        Fork(parent: 500, child: 501);
        _proc.AddProcess(501, 500, "apt-get", ["apt-get", "install", "curl"], "/tmp/x/bin/apt-get", startTicks: 2001, sid: 501, ttyNr: 34817, cgroup: cgroup, nsPids: [501, 2], pidNs: 4026532000);
        Exec(501);

        JsonElement exec = JsonPath.Parse(_events[^1]);
        Assert.Equal(Cid, exec.Str("container.id"));
        Assert.Equal("apt-get", exec.Str("process.name"));
        Assert.Equal(2, exec.Num("process.vpid"));
        Assert.True(exec.Bool("process.interactive"));
        Assert.Equal(1, exec.Num("process.tty.char_device.minor"));
        Assert.Equal(500, exec.Num("process.entry_leader.pid"));
        Assert.Equal("container", exec.Str("process.entry_leader.entry_meta.type"));
        Assert.Equal(501, exec.Num("process.session_leader.pid"));
        Assert.True(exec.Bool("process.session_leader.same_as_process"));
        Assert.Equal("root", exec.Str("user.name"));
    }

    [Fact]
    public void Exec_ProcessAlreadyGone_EmitsPartialDocumentAndCountsFailure()
    {
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "true", ["/bin/true"], "/usr/bin/true", startTicks: 1000, pgrp: 200, sid: 200, ttyNr: 34816);
        _proc.Zombify(300);
        Exec(300);

        JsonElement exec = JsonPath.Parse(_events[^1]);
        Assert.Equal("exec", exec.Str("event.action"));
        Assert.Equal(300, exec.Num("process.pid"));
        Assert.Equal("true", exec.Str("process.name"));   // from stat's comm, still readable for a zombie
        Assert.False(exec.Has("process.args"));           // never the parent's args
        Assert.False(exec.Has("process.executable"));
        Assert.Equal("partial", exec.Str("labels.vigil_enrichment"));
        Assert.Equal(1, _counters.EnrichmentFailures);
    }

    [Fact]
    public void ParentThatExited_IsStillNamed_UntilEvicted()
    {
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "sh", ["sh", "-c", "sleep 1 &"], "/usr/bin/dash", startTicks: 1000, pgrp: 300, sid: 200);
        Exec(300);
        _proc.AddProcess(301, 300, "sh", ["sh", "-c", "sleep 1 &"], "/usr/bin/dash", startTicks: 1001, pgrp: 300, sid: 200);
        Fork(parent: 300, child: 301);
        Exit(300, status: 0, parent: 200);
        _proc.Remove(300);
        _proc.AddProcess(301, 1, "sleep", ["sleep", "1"], "/usr/bin/sleep", startTicks: 1001, pgrp: 300, sid: 200);
        Exec(301);

        JsonElement exec = JsonPath.Parse(_events[^1]);
        Assert.Equal(1, exec.Num("process.parent.pid"));       // re-parented to init, as stat says
        Assert.Equal(300, exec.Num("process.group_leader.pid"));
        Assert.Equal("sh", exec.Str("process.group_leader.name"));   // exited, still known
    }

    [Fact]
    public void Eviction_DropsExitedProcessesBeyondCap_AndCounts()
    {
        _core.Dispose();
        _core = NewCore(new SensorOptions { ProcRoot = _proc.Root, MaxExitedProcesses = 1, ExitedProcessRetention = TimeSpan.FromHours(1) });
        _core.Resync(initial: true);
        for (int pid = 300; pid < 303; pid++)
        {
            BashChild(pid);
            Fork(parent: 200, child: pid);
            Exit(pid, status: 0, parent: 200);
        }

        Assert.Equal(2, _core.Evict(SensorClock.MonotonicNowNs()));
        Assert.Null(_core.Table.Get(300));
        Assert.Null(_core.Table.Get(301));
        Assert.NotNull(_core.Table.Get(302));
        Assert.Equal(2, _counters.ProcessesEvicted);
        Assert.NotNull(_core.Table.Get(200));   // live processes are never evicted
    }

    [Fact]
    public void Eviction_DropsExitedProcessesAfterRetention()
    {
        _core.Dispose();
        _core = NewCore(new SensorOptions { ProcRoot = _proc.Root, ExitedProcessRetention = TimeSpan.FromSeconds(5) });
        _core.Resync(initial: true);
        BashChild(300);
        Fork(parent: 200, child: 300);
        Exit(300, status: 0, parent: 200);
        long exitedAt = _core.Table.Get(300)!.ExitedAtNs;
        Assert.Equal(0, _core.Evict(exitedAt + 4_000_000_000));
        Assert.Equal(1, _core.Evict(exitedAt + 6_000_000_000));
        Assert.Null(_core.Table.Get(300));
    }

    [Fact]
    public void UidChange_AfterExec_ShowsInLaterDocuments()
    {
        _proc.AddProcess(300, 200, "bash", ["-bash"], "/usr/bin/bash", 1000, pgrp: 200, sid: 200, uid: 1000, gid: 1000);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "su", ["su", "-"], "/usr/bin/su", 1000, pgrp: 300, sid: 200, uid: 1000, gid: 1000);
        Exec(300);
        Assert.Equal("1000", JsonPath.Parse(_events[^1]).Str("user.id"));
        _core.Handle(new ProcEvent(ProcEventKind.Uid, 0, _seq++, 0, Now(), 300, 300, 0, 0, ExitCode: 1000, ExitSignal: 0), 0);
        Exit(300, 0, 200);
        Assert.Equal("0", JsonPath.Parse(_events[^1]).Str("user.id"));
        Assert.Equal("root", JsonPath.Parse(_events[^1]).Str("user.name"));
    }

    [Fact]
    public void ThreadEvents_AreIgnoredByDefault()
    {
        _core.Handle(new ProcEvent(ProcEventKind.Fork, 0, _seq++, 0, Now(), Pid: 201, Tgid: 200, ParentPid: 200, ParentTgid: 200, 0, 0), 0);
        _core.Handle(new ProcEvent(ProcEventKind.Exit, 0, _seq++, 0, Now(), Pid: 201, Tgid: 200, ParentPid: 100, ParentTgid: 100, 0, 17), 0);
        Assert.Empty(_events);
        Assert.False(_core.Table.Get(200)!.Exited);
    }

    [Fact]
    public void ThreadEvents_WhenIncluded_CarryThreadId()
    {
        _core.Dispose();
        _core = NewCore(new SensorOptions { ProcRoot = _proc.Root, IncludeThreadEvents = true });
        _core.Resync(initial: true);
        _core.Handle(new ProcEvent(ProcEventKind.Fork, 0, _seq++, 0, Now(), Pid: 201, Tgid: 200, ParentPid: 200, ParentTgid: 200, 0, 0), 0);
        JsonElement doc = JsonPath.Parse(_events.Single());
        Assert.Equal(200, doc.Num("process.pid"));
        Assert.Equal(201, doc.Num("process.thread.id"));
    }

    [Fact]
    public void Forks_CanBeLeftOut()
    {
        _core.Dispose();
        _core = NewCore(new SensorOptions { ProcRoot = _proc.Root, IncludeForks = false });
        _core.Resync(initial: true);
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "id", ["id"], "/usr/bin/id", startTicks: 1000, pgrp: 300, sid: 200);
        Exec(300);
        Assert.Equal("exec", JsonPath.Parse(_events.Single()).Str("event.action"));
        Assert.Equal(200, JsonPath.Parse(_events.Single()).Num("process.parent.pid"));
    }

    [Fact]
    public void Resync_ForgetsVanishedProcesses_AndReplacesReusedPids()
    {
        _proc.Remove(100);
        _proc.AddProcess(200, 1, "nginx", ["nginx"], "/usr/sbin/nginx", startTicks: 5000);
        _core.Resync(initial: false);
        Assert.True(_core.Table.Get(100)!.Exited);
        Assert.Empty(_events);   // no invented end events
        Assert.Equal("nginx", _core.Table.Get(200)!.Name);
        Assert.Equal(5000UL, _core.Table.Get(200)!.StartTicks);
    }

    [Fact]
    public void Document_HasDataStreamEventAndHostShape()
    {
        BashChild(300);
        Fork(parent: 200, child: 300);
        _proc.AddProcess(300, 200, "id", ["id", "-u"], "/usr/bin/id", startTicks: 1000, pgrp: 300, sid: 200);
        Exec(300);
        SensorEvent ev = _events[^1];
        byte[] json = ev.Json.ToArray();
        Assert.Equal((byte)'}', json[^1]);   // one object, no trailing newline
        JsonElement d = JsonPath.Parse(ev);

        Assert.Equal("logs", d.Str("data_stream.type"));
        Assert.Equal("cloud_defend.process", d.Str("data_stream.dataset"));
        Assert.Equal("default", d.Str("data_stream.namespace"));
        Assert.Equal(["process"], d.Strs("event.category"));
        Assert.Equal("event", d.Str("event.kind"));
        Assert.Equal("cloud_defend", d.Str("event.module"));
        Assert.Equal("cloud_defend.process", d.Str("event.dataset"));
        Assert.Matches(Iso(), d.Str("@timestamp"));
        Assert.Matches(Iso(), d.Str("event.created"));
        Assert.Matches(Iso(), d.Str("event.ingested"));
        Assert.Matches(Iso(), d.Str("process.start"));
        Assert.True(Guid.TryParse(d.Str("event.id"), out _));

        Assert.Equal("sensor-host", d.Str("host.name"));
        Assert.Equal("fakehost", d.Str("host.hostname"));
        Assert.Equal("linux", d.Str("host.os.type"));
        Assert.Equal(FakeProcTree.BootId, d.Str("host.boot.id"));
        Assert.Equal(4026531836, d.Num("host.pid_ns_ino"));
        Assert.True(d.Has("host.id"));

        Assert.Equal(ev.Timestamp, DateTimeOffset.Parse(d.Str("@timestamp"), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(0.001));
        Assert.Equal(SensorEventAction.Exec, ev.Action);
        Assert.Equal(300, ev.ProcessId);
    }

    [Fact]
    public void EventIds_AreUnique()
    {
        for (int pid = 300; pid < 320; pid++)
        {
            BashChild(pid);
            Fork(parent: 200, child: pid);
        }

        Assert.Equal(_events.Count, _events.Select(e => JsonPath.Parse(e).Str("event.id")).Distinct().Count());
    }

    [Fact]
    public void FormatTime_IsIsoUtcWithMicroseconds()
    {
        Span<byte> buffer = stackalloc byte[32];
        long ns = new DateTimeOffset(2026, 12, 3, 19, 20, 1, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000 + 123_456_789;
        int n = Ecs.EcsDocumentWriter.FormatTime(ns, buffer);
        Assert.Equal("2026-12-03T19:20:01.123456Z", Encoding.ASCII.GetString(buffer[..n]));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")]
    private static partial Regex Iso();

    private SensorCore NewCore(SensorOptions options) => new(options, new SensorClock(), _counters, _events.Add);

    private static ulong Now() => (ulong)SensorClock.MonotonicNowNs();

    /// <summary>What /proc shows for a child of the login shell right after fork: the shell's image.</summary>
    private void BashChild(int pid, ulong startTicks = 1000) =>
        _proc.AddProcess(pid, 200, "bash", ["-bash"], "/usr/bin/bash", startTicks, pgrp: 200, sid: 200, ttyNr: 34816, cwd: "/root");

    private void Fork(int parent, int child) =>
        _core.Handle(new ProcEvent(ProcEventKind.Fork, 0, _seq++, 0, Now(), Pid: child, Tgid: child, ParentPid: parent, ParentTgid: parent, 0, 0), 0);

    private void Exec(int pid) =>
        _core.Handle(new ProcEvent(ProcEventKind.Exec, 0, _seq++, 0, Now(), Pid: pid, Tgid: pid, 0, 0, 0, 0), 0);

    private void Exit(int pid, uint status, int parent) =>
        _core.Handle(new ProcEvent(ProcEventKind.Exit, 0, _seq++, 0, Now(), Pid: pid, Tgid: pid, ParentPid: parent, ParentTgid: parent, status, 17), 0);
}
