using Vigil.Sensor.Procfs;

namespace Vigil.Sensor.Tests;

public sealed class ContainerIdParserTests
{
    private const string Id = "3f9c1e5b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f67";
    private const string Pod = "pod7b0f4e4a-9a8b-4c1d-8e2f-0123456789ab";
    private const string PodSlice = "pod7b0f4e4a_9a8b_4c1d_8e2f_0123456789ab";

    [Theory]
    // docker, cgroupfs driver: v1 and v2
    [InlineData("12:pids:/docker/" + Id + "\n")]
    [InlineData("0::/docker/" + Id + "\n")]
    // docker, systemd driver (also cri-dockerd)
    [InlineData("0::/system.slice/docker-" + Id + ".scope\n")]
    [InlineData("1:name=systemd:/system.slice/docker-" + Id + ".scope\n")]
    [InlineData("0::/system.slice/docker-" + Id + ".scope/init.scope\n")]
    // containerd (CRI) on cgroupfs
    [InlineData("11:pids:/kubepods/burstable/" + Pod + "/" + Id + "\n")]
    [InlineData("0::/kubepods/besteffort/" + Pod + "/" + Id + "\n")]
    // containerd, systemd driver: kubepods slice
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + PodSlice + ".slice/cri-containerd-" + Id + ".scope\n")]
    [InlineData("0::/kubepods.slice/kubepods-" + PodSlice + ".slice/cri-containerd-" + Id + ".scope\n")]
    // containerd, systemd driver on cgroup v1
    [InlineData("1:name=systemd:/system.slice/containerd.service/kubepods-burstable-" + PodSlice + ".slice:cri-containerd:" + Id + "\n")]
    // cri-o
    [InlineData("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" + PodSlice + ".slice/crio-" + Id + ".scope\n")]
    [InlineData("5:pids:/kubepods/besteffort/" + Pod + "/crio-" + Id + "\n")]
    // podman
    [InlineData("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + Id + ".scope\n")]
    [InlineData("0::/machine.slice/libpod-" + Id + ".scope/container\n")]
    [InlineData("3:pids:/libpod_parent/libpod-" + Id + "\n")]
    // nested: docker in docker names the inner container
    [InlineData("0::/docker/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/docker/" + Id + "\n")]
    public void Parse_RuntimePattern_ReturnsId(string cgroup)
    {
        Assert.Equal(Id, ContainerIdParser.Parse(cgroup));
    }

    [Fact]
    public void Parse_HybridV1AndV2_FindsIdInAnyHierarchy()
    {
        string file = $"""
            9:name=systemd:/docker/{Id}
            8:pids:/docker/{Id}
            7:blkio:/
            4:memory:/process_api/ed3459f0c13c110ba9085567c24f121f
            1:cpu:/
            0::/docker/{Id}

            """;
        Assert.Equal(Id, ContainerIdParser.Parse(file));
    }

    [Fact]
    public void Parse_V1WithIdOnlyInPidsHierarchy_ReturnsId()
    {
        string file = $"12:memory:/\n11:pids:/docker/{Id}\n0::/\n";
        Assert.Equal(Id, ContainerIdParser.Parse(file));
    }

    [Theory]
    [InlineData("0::/\n")]
    [InlineData("0::/init.scope\n")]
    [InlineData("0::/user.slice/user-0.slice/session-3.scope\n")]
    [InlineData("0::/system.slice/sshd.service\n")]
    [InlineData("12:pids:/\n11:name=systemd:/user.slice/user-1000.slice/session-1.scope\n0::/\n")]
    [InlineData("4:memory:/process_api/ed3459f0c13c110ba9085567c24f121f\n0::/\n")]
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + PodSlice + ".slice\n")]
    [InlineData("")]
    public void Parse_HostProcess_ReturnsNull(string cgroup)
    {
        Assert.Null(ContainerIdParser.Parse(cgroup));
    }

    [Theory]
    // crio-conmon runs on the host beside the container
    [InlineData("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" + PodSlice + ".slice/crio-conmon-" + Id + ".scope\n")]
    [InlineData("5:pids:/kubepods/besteffort/" + Pod + "/crio-conmon-" + Id + "\n")]
    // wrong length or not hex
    [InlineData("0::/docker/" + "3f9c1e5b7a2d\n")]
    [InlineData("0::/docker/" + Id + "0\n")]
    [InlineData("0::/docker/zf9c1e5b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f67\n")]
    // docker- without .scope, unknown prefix
    [InlineData("0::/system.slice/docker-" + Id + "\n")]
    [InlineData("0::/system.slice/other-" + Id + ".scope\n")]
    public void Parse_NotAContainer_ReturnsNull(string cgroup)
    {
        Assert.Null(ContainerIdParser.Parse(cgroup));
    }
}
