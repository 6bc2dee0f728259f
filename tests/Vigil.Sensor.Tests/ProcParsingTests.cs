using System.Text;
using Vigil.Sensor.Procfs;

namespace Vigil.Sensor.Tests;

public sealed class ProcParsingTests
{
    private const string Tail = " 78 0 0 0 0 0 0 0 20 0 1 0 38027 2994176 387 18446744073709551615 94564475260928 0 0 0 0 17 1 0 0 0 0 0\n";

    [Fact]
    public void Stat_PlainName_ParsesFields()
    {
        ProcStat? stat = ProcStat.Parse(Encoding.ASCII.GetBytes("3945 (apt-get) S 3944 3944 3943 34816 3944 4194304" + Tail));
        Assert.Equal(new ProcStat(3945, "apt-get", 'S', 3944, 3944, 3943, 34816, 38027), stat);
    }

    [Theory]
    [InlineData("(a) b)")]
    [InlineData("a b")]
    [InlineData(")")]
    [InlineData("((")]
    [InlineData(") S 1 1 1 0")]
    [InlineData("")]
    public void Stat_NameWithSpacesAndParentheses_KeepsFieldsAligned(string comm)
    {
        ProcStat? stat = ProcStat.Parse(Encoding.UTF8.GetBytes($"77 ({comm}) R 5 6 7 1025 -1 4194304" + Tail));
        Assert.NotNull(stat);
        Assert.Equal(comm, stat.Comm);
        Assert.Equal('R', stat.State);
        Assert.Equal(5, stat.ParentPid);
        Assert.Equal(6, stat.ProcessGroupId);
        Assert.Equal(7, stat.SessionId);
        Assert.Equal(1025, stat.TtyNr);
        Assert.Equal(38027UL, stat.StartTicks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x S 1 1 1 0")]
    [InlineData("12 (x) S 1 1 1 0 -1")]
    [InlineData("abc (x) S 1 1 1 0 -1 4194304" + Tail)]
    public void Stat_Malformed_ReturnsNull(string text)
    {
        Assert.Null(ProcStat.Parse(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Status_ReadsEffectiveIdsAndInnermostPid()
    {
        string text = "Name:\tapt-get\nTgid:\t3945\nPid:\t3945\nPPid:\t3944\nUid:\t1000\t0\t0\t0\nGid:\t1001\t50\t50\t50\nNSpid:\t3945\t3\nCapEff:\t000001ffffffffff\n";
        Assert.Equal(new ProcStatus(1000, 0, 1001, 50, 3, 2), ProcStatus.Parse(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Status_HostProcess_HasDepthOne()
    {
        ProcStatus? s = ProcStatus.Parse("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNSpid:\t1\n"u8);
        Assert.Equal(1, s!.NamespaceDepth);
        Assert.Equal(1, s.NamespacePid);
    }

    [Fact]
    public void Status_WithoutUid_ReturnsNull()
    {
        Assert.Null(ProcStatus.Parse("Name:\tx\nGid:\t0\t0\t0\t0\n"u8));
    }

    [Theory]
    [InlineData("CapEff:\t000001ffffffffff\n", 0x1ffffffffffUL)]
    [InlineData("Name:\tx\nCapEff:\t0000000000000000\n", 0UL)]
    public void Status_EffectiveCapabilities_Parsed(string text, ulong caps)
    {
        Assert.Equal(caps, ProcStatus.ParseEffectiveCapabilities(text));
    }

    [Fact]
    public void Cmdline_SplitsOnNul_WithoutTrailingEmptyArgument()
    {
        Assert.Equal(["apt-get", "install", "curl"], ProcessReader.SplitCmdline("apt-get\0install\0curl\0"u8));
        Assert.Equal(["a", "", "b"], ProcessReader.SplitCmdline("a\0\0b\0"u8));
        Assert.Equal(["sshd: root [priv]"], ProcessReader.SplitCmdline("sshd: root [priv]"u8));
    }

    [Fact]
    public void Executable_DeletedSuffix_IsRemoved()
    {
        Assert.Equal("/usr/bin/apt-get", ProcessReader.CleanExecutable("/usr/bin/apt-get (deleted)"u8));
        Assert.Equal("/usr/bin/true", ProcessReader.CleanExecutable("/usr/bin/true"u8));
    }

    [Theory]
    [InlineData("apt-get", "/usr/bin/apt-get", "apt-get")]
    [InlineData("dpkg-preconfigu", "/usr/sbin/dpkg-preconfigure", "dpkg-preconfigure")]
    [InlineData("apt-get", "/usr/bin/dash", "apt-get")]   // a #!/bin/sh script named apt-get
    [InlineData("wget", "/bin/busybox", "wget")]          // busybox applet
    [InlineData("true", null, "true")]
    [InlineData(null, "/usr/bin/true", "true")]
    public void Name_PrefersFullBasenameOnlyWhenCommAgrees(string? comm, string? exe, string expected)
    {
        Assert.Equal(expected, ProcessReader.DeriveName(comm, exe));
    }

    [Fact]
    public void EntityId_IsBase64OfBootPidTicks()
    {
        string id = ProcessReader.EntityId("d018d91e-3afd-41a9-8412-1745cb117195", 3945, 38027);
        Assert.Equal("d018d91e-3afd-41a9-8412-1745cb117195-3945-38027", Encoding.ASCII.GetString(Convert.FromBase64String(id)));
    }

    [Fact]
    public void NamespaceInode_ParsedFromLink()
    {
        Assert.Equal(4026531836UL, ProcFs.ParseNamespaceInode("pid:[4026531836]"u8));
        Assert.Equal(0UL, ProcFs.ParseNamespaceInode("garbage"u8));
    }

    [Fact]
    public void UserNames_ParsePasswd()
    {
        var map = UserNames.Parse("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n\nbroken\n");
        Assert.Equal("root", map[0]);
        Assert.Equal("daemon", map[1]);
        Assert.Equal(2, map.Count);
    }
}
