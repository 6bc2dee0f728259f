using System.Text.Json;
using Vigil.Sensor.Procfs;
using Vigil.Sensor.Testing;

namespace Vigil.Sensor.Tests;

/// <summary>
/// The sensor against processes in a simulated container (cgroup docker/&lt;id&gt;, new pid and mount
/// namespaces, optionally a pty). Needs root; skipped otherwise.
/// </summary>
[Collection("kernel")]
public sealed class ContainerSimulationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [ContainerFact]
    public Task AptGet_WithPty_IsInteractiveInContainer() => AptGetInstallCurl(tty: true);

    [ContainerFact]
    public Task AptGet_WithoutPty_IsNotInteractive() => AptGetInstallCurl(tty: false);

    [ContainerFact]
    public async Task Simulation_PutsProcessesInTheCgroupsAndNamespaces_AndCleansUp()
    {
        IReadOnlyList<string> dirs;
        string id;
        await using (SimulatedContainer container = SimulatedContainer.Create())
        {
            id = container.Id;
            dirs = container.CgroupDirectories;
            Assert.Matches("^[0-9a-f]{64}$", id);
            Assert.NotEmpty(dirs);
            container.InstallStub("apt-get");
            using SimulatedProcess run = container.Run("apt-get", ["install", "curl"], tty: false);
            int pid = await run.WaitForProcessAsync("apt-get", Wait);

            string cgroup = File.ReadAllText($"/proc/{pid}/cgroup");
            Assert.Contains($"/docker/{id}", cgroup, StringComparison.Ordinal);
            Assert.Equal(id, ContainerIdParser.Parse(cgroup));
            Assert.NotEqual(File.ResolveLinkTarget("/proc/self/ns/pid", false)!.ToString(), File.ResolveLinkTarget($"/proc/{pid}/ns/pid", false)!.ToString());
            Assert.NotEqual(File.ResolveLinkTarget("/proc/self/ns/mnt", false)!.ToString(), File.ResolveLinkTarget($"/proc/{pid}/ns/mnt", false)!.ToString());
            Assert.Contains(pid, container.Pids());

            run.CloseInput();
            Assert.Equal(0, await run.WaitForExitAsync(Wait));
            Assert.True(File.Exists(Path.Combine(container.WorkDirectory, "install")));   // tee wrote its "arguments"
        }

        Assert.All(dirs, d => Assert.False(Directory.Exists(d), d));
    }

    [ContainerFact]
    public async Task SystemdStyleScopes_AreRecognisedOnTheRealKernel()
    {
        await using var sensor = new ProcessSensor();
        sensor.Start();
        await using var events = new EventCollector(sensor);
        foreach ((string prefix, string leaf) in new[]
        {
            ("system.slice", "docker-{0}.scope"),
            ("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice", "cri-containerd-{0}.scope"),
            ("machine.slice", "libpod-{0}.scope"),
        })
        {
            await using SimulatedContainer container = SimulatedContainer.Create(prefix: prefix, leafFormat: leaf);
            container.InstallStub("apk");
            using SimulatedProcess run = container.Run("apk", ["add", "socat"], tty: false);
            int pid = await run.WaitForProcessAsync("apk", Wait);
            (_, JsonElement doc) = await events.WaitFor(
                d => d.Str("event.action") == "exec" && d.Num("process.pid") == pid && d.Has("process.name") && d.Str("process.name") == "apk", $"exec of apk under {leaf}", Wait);
            Assert.Equal(container.Id, doc.Str("container.id"));
            run.CloseInput();
        }
    }

    private static async Task AptGetInstallCurl(bool tty)
    {
        await using var sensor = new ProcessSensor();
        sensor.Start();
        await using var events = new EventCollector(sensor);
        await using SimulatedContainer container = SimulatedContainer.Create();
        string stub = container.InstallStub("apt-get");
        using SimulatedProcess run = container.Run("apt-get", ["install", "curl"], tty);
        int pid = await run.WaitForProcessAsync("apt-get", Wait);

        // The launcher's shell execs apt-get in place (same pid): wait for the exec of apt-get itself.
        (_, JsonElement exec) = await events.WaitFor(
            d => d.Str("event.action") == "exec" && d.Num("process.pid") == pid && d.Has("process.previous")
                && d.Has("process.name") && d.Str("process.name") == "apt-get", $"exec of apt-get (pid {pid}); launcher output: {run.Output}", Wait);

        Assert.Equal(["start"], exec.Strs("event.type"));
        Assert.Equal(container.Id, exec.Str("container.id"));
        Assert.Equal("apt-get", exec.Str("process.name"));
        Assert.Equal(["apt-get", "install", "curl"], exec.Strs("process.args"));
        Assert.Equal("apt-get install curl", exec.Str("process.command_line"));
        Assert.Equal(stub, exec.Str("process.executable"));
        Assert.Equal(container.WorkDirectory, exec.Str("process.working_directory"));
        Assert.Equal(tty, exec.Bool("process.interactive"));
        Assert.Equal(tty, exec.Has("process.tty"));
        if (tty)
        {
            Assert.InRange(exec.Num("process.tty.char_device.major"), 136, 143);
        }

        Assert.Equal("linux", exec.Str("host.os.type"));
        Assert.Equal("0", exec.Str("user.id"));
        Assert.Equal("root", exec.Str("user.name"));
        Assert.True(exec.Num("process.vpid") < 10, "pid inside the new pid namespace");
        Assert.Equal("container", exec.Str("process.entry_leader.entry_meta.type"));
        Assert.False(exec.Has("labels"));
        Assert.Equal("sh", exec.At("process.previous").EnumerateArray().Single().Strs("args")[0].Split('/')[^1]);

        run.CloseInput();
        (_, JsonElement end) = await events.WaitFor(d => d.Str("event.action") == "end" && d.Num("process.pid") == pid, "end of apt-get", Wait);
        Assert.Equal(0, end.Num("process.exit_code"));
        Assert.Equal(container.Id, end.Str("container.id"));
        Assert.Equal(exec.Str("process.entity_id"), end.Str("process.entity_id"));
    }
}
