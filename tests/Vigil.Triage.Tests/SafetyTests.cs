namespace Vigil.Triage.Tests;

public sealed class SafetyTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private const string EvilStatus = "Package: evil-outside\nStatus: install ok installed\nVersion: 6.6.6\n\n";
    private const string EvilLog = "2024-05-05 05:05:05 install evil-outside:amd64 <none> 6.6.6\n";

    [Fact]
    public void RelativeSymlinkClimbingOutOfTheRoot_IsRefusedWithAWarning()
    {
        File.WriteAllText(_fx.Outside("status"), EvilStatus);
        _fx.Symlink("/var/lib/dpkg/status", "../../../../status");
        var report = _fx.Run();
        Assert.Empty(report.Packages);
        var w = Assert.Single(report.Warnings);
        Assert.Equal("/var/lib/dpkg/status", w.File);
        Assert.Contains("outside the root", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsoluteSymlink_MeansTheContainersRoot_NotTheHosts()
    {
        // The target exists on the host; inside the root the same path does not, so nothing is read.
        var hostFile = _fx.Outside("dpkg.log");
        File.WriteAllText(hostFile, EvilLog);
        _fx.Symlink("/var/log/dpkg.log", hostFile);
        Assert.Empty(_fx.Run().Events);

        // Laid out under the root, the same absolute target is followed there.
        _fx.Write(hostFile, "2024-05-05 05:05:05 install curl:amd64 <none> 8.0\n");
        var e = Assert.Single(_fx.Run().Events);
        Assert.Equal("curl", e.Package);
    }

    [Fact]
    public void SymlinkedDirectoryOutsideTheRoot_IsRefused()
    {
        Directory.CreateDirectory(_fx.Outside("apt"));
        File.WriteAllText(Path.Join(_fx.Outside("apt"), "history.log"), "Start-Date: 2024-05-05  05:05:05\nInstall: evil-outside:amd64 (1)\n");
        Directory.CreateDirectory(_fx.HostPath("/var/log"));
        File.CreateSymbolicLink(_fx.HostPath("/var/log/apt"), "../../../apt");
        var report = _fx.Run();
        Assert.Empty(report.Events);
        Assert.Contains(report.Warnings, w => w.File == "/var/log/apt" && w.Message.Contains("outside the root", StringComparison.Ordinal));
    }

    [Fact]
    public void SymlinkInsideTheRoot_IsFollowedThere()
    {
        _fx.Write("/srv/real/status", "Package: curl\nStatus: install ok installed\nVersion: 8.0\n")
            .Symlink("/var/lib/dpkg", "../../srv/real");
        var report = _fx.Run();
        Assert.Equal("curl", Assert.Single(report.Packages).Name);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void SymlinkLoop_IsAWarning_NotAHang()
    {
        _fx.Symlink("/var/lib/dpkg/status", "/var/lib/dpkg/other").Symlink("/var/lib/dpkg/other", "status");
        var report = _fx.Run();
        Assert.Contains(report.Warnings, w => w.File == "/var/lib/dpkg/status" && w.Message.Contains("too many levels", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fifo_IsNotRead()
    {
        Fixture.MakeFifo(_fx.HostPath("/var/log/dpkg.log"));
        var report = await Task.Run(() => _fx.Run()).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains(report.Warnings, w => w.File == "/var/log/dpkg.log" && w.Message.Contains("not a regular file", StringComparison.Ordinal));
    }

    [Fact]
    public void ADirectorySwappedForALinkAfterResolving_IsNotFollowed()
    {
        // What a live container could do between the check of each component and the open: the kernel's second walk
        // refuses any symlink on the way, even one that stays inside the root.
        _fx.Write("/real/dpkg.log", "x\n").Symlink("/var/log", "/real");
        using var fs = new RootFs(_fx.Root, []);
        Assert.Throws<IOException>(() => fs.OpenResolved("var/log/dpkg.log"));
        using var ok = fs.OpenResolved("real/dpkg.log");
        Assert.Equal('x', ok.ReadByte());
    }

    [Fact]
    public void ParentComponentsStayInsideTheRoot()
    {
        using var fs = new RootFs(_fx.Root, []);
        _fx.Write("/etc/os-release", "ID=debian\n");
        Assert.Equal(_fx.HostPath("/etc/os-release"), fs.Resolve("/etc/os-release"));
        Assert.Null(fs.Resolve("/etc/missing"));
        _fx.Symlink("/a/b", "../../../..");
        var warnings = new List<TriageWarning>();
        using var other = new RootFs(_fx.Root, warnings);
        Assert.Null(other.Resolve("/a/b/etc/passwd"));
        Assert.Single(warnings);
    }
}
