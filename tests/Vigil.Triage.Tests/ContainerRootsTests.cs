namespace Vigil.Triage.Tests;

public sealed class ContainerRootsTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private const string A = "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
    private const string B = "3f4e99999a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

    private string Proc()
    {
        var proc = _fx.HostPath("/proc");
        void P(int pid, string cgroup)
        {
            Directory.CreateDirectory(Path.Join(proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            File.WriteAllText(Path.Join(proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "cgroup"), cgroup);
        }
        P(1, "0::/init.scope\n");
        P(4100, $"0::/system.slice/docker-{A}.scope\n");
        P(4000, $"0::/system.slice/docker-{A}.scope\n");
        P(5000, $"12:pids:/kubepods/burstable/pod1234/{B}\n11:memory:/kubepods/burstable/pod1234/{B}\n");
        P(6000, $"0::/machine.slice/crio-conmon-{new string('c', 64)}.scope\n");
        Directory.CreateDirectory(Path.Join(proc, "self"));
        return proc;
    }

    [Fact]
    public void FullId_FindsTheLowestPidOfTheContainer()
    {
        var proc = Proc();
        var found = ContainerRoots.Find(A, proc);
        Assert.Equal((A, 4000, Path.Join(proc, "4000", "root")), (found.ContainerId, found.Pid, found.Root));
    }

    [Fact]
    public void UniquePrefix_Works_AmbiguousPrefix_NamesTheCandidates()
    {
        var proc = Proc();
        Assert.Equal(B, ContainerRoots.Find("3F4E9999", proc).ContainerId);
        var ex = Assert.Throws<ContainerLookupException>(() => ContainerRoots.Find("3f4e", proc));
        Assert.Contains("matches 2 containers", ex.Message, StringComparison.Ordinal);
        Assert.Contains(A[..12], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOrInvalidId_IsAClearError()
    {
        var proc = Proc();
        Assert.Contains("no running process", Assert.Throws<ContainerLookupException>(() => ContainerRoots.Find("abcdef", proc)).Message, StringComparison.Ordinal);
        Assert.Contains("not a container id", Assert.Throws<ContainerLookupException>(() => ContainerRoots.Find("web-1", proc)).Message, StringComparison.Ordinal);
        // conmon runs on the host: its cgroup does not make it part of the container.
        Assert.Throws<ContainerLookupException>(() => ContainerRoots.Find("cccccc", proc));
    }

    [Fact]
    public void IdIn_TakesTheInnermostContainer()
    {
        Assert.Equal(B, ContainerRoots.IdIn($"0::/docker/{A}/docker/{B}\n"));
        Assert.Equal(A, ContainerRoots.IdIn($"1:name=systemd:/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:{A}\n"));
        Assert.Null(ContainerRoots.IdIn("0::/user.slice/user-1000.slice/session-3.scope\n"));
    }

    [Fact]
    public void AProcessSharingOurRoot_IsPassedOver()
    {
        var proc = Proc();
        // pid 4000's root is the host's own '/', pid 4100's is a container root.
        Directory.CreateSymbolicLink(Path.Join(proc, "4000", "root"), "/");
        Directory.CreateDirectory(Path.Join(proc, "4100", "root"));
        Assert.Equal(4100, ContainerRoots.Find(A, proc).Pid);
    }
}
