namespace Vigil.Triage.Tests;

public sealed class DebianTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private const string Status = """
        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Version: 2.36-9+deb12u4
        Description: GNU C Library
         shared libraries

        Package: bash
        Essential: yes
        Status: install ok installed
        Architecture: amd64
        Version: 5.2.15-2+b2

        Package: curl
        Status: install ok installed
        Architecture: amd64
        Version: 7.88.1-10+deb12u5
        this line is garbage

        Package: oldtool
        Status: deinstall ok config-files
        Version: 1.0

        """;

    // Oldest rotation: the bootstrap of the image.
    private const string DpkgLog2 = """
        2024-01-10 09:00:01 startup archives install
        2024-01-10 09:00:02 install libc6:amd64 <none> 2.36-9+deb12u3
        2024-01-10 09:00:03 install bash:amd64 <none> 5.2.15-2+b2
        2024-01-10 09:00:04 status installed bash:amd64 5.2.15-2+b2

        """;

    private const string DpkgLog1 = """
        2024-02-01 08:00:00 startup archives unpack
        2024-02-01 08:00:05 upgrade libc6:amd64 2.36-9+deb12u3 2.36-9+deb12u4
        2024-02-01 08:00:06 status installed libc6:amd64 2.36-9+deb12u4

        """;

    private const string DpkgLog = """
        2024-03-05 14:22:10 startup archives unpack
        2024-03-05 14:22:11 install curl:amd64 <none> 7.88.1-10+deb12u5
        2024-03-05 14:2 garbled
        2024-03-05 14:22:12 status installed curl:amd64 7.88.1-10+deb12u5
        2024-03-05 14:22:13 install netcat-openbsd:amd64 <none>
        2024-03-05 14:30:00 remove oldtool:amd64 1.0 <none>

        """;

    private const string AptHistory1 = """

        Start-Date: 2024-02-01  08:00:00
        Commandline: apt-get upgrade -y
        Upgrade: libc6:amd64 (2.36-9+deb12u3, 2.36-9+deb12u4)
        End-Date: 2024-02-01  08:00:07

        """;

    private const string AptHistory = """

        Start-Date: 2024-03-05  14:22:09
        Commandline: apt-get install -y curl netcat-openbsd
        Requested-By: bob (1000)
        Install: curl:amd64 (7.88.1-10+deb12u5), libcurl4:amd64 (7.88.1-10+deb12u5, automatic), netcat-openbsd:amd64 (1.219-1
        End-Date: 2024-03-05  14:22:14

        Start-Date: 2024-03-05  14:30:00
        Commandline: apt-get remove oldtool
        Remove: oldtool:amd64 (1.0)
        End-Date: 2024-03-05  14:30:01

        """;

    private Fixture Debian() => _fx
        .Write("/var/lib/dpkg/status", Status)
        .WriteGz("/var/log/dpkg.log.2.gz", DpkgLog2)
        .Write("/var/log/dpkg.log.1", DpkgLog1)
        .Write("/var/log/dpkg.log", DpkgLog)
        .WriteGz("/var/log/apt/history.log.1.gz", AptHistory1)
        .Write("/var/log/apt/history.log", AptHistory);

    [Fact]
    public void Status_ListsInstalledPackagesOnly_AndWarnsOnTheGarbageLine()
    {
        var report = Debian().Run();
        var dpkg = report.Packages.Where(p => p.Manager == "dpkg").Select(p => $"{p.Name} {p.Version} {p.Architecture}").ToArray();
        Assert.Equal(["bash 5.2.15-2+b2 amd64", "curl 7.88.1-10+deb12u5 amd64", "libc6 2.36-9+deb12u4 amd64"], dpkg);
        Assert.Contains(report.Warnings, w => w.File == "/var/lib/dpkg/status" && w.Line == 18);
        Assert.Equal(ToolKind.Shell, report.Packages.Single(p => p.Name == "bash").Flag);
        Assert.Equal(ToolKind.NetworkTool, report.Packages.Single(p => p.Name == "curl").Flag);
    }

    [Fact]
    public void ExtendedStates_TellWhichPackagesWereAskedFor()
    {
        Debian().Write("/var/lib/apt/extended_states", "Package: libc6\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: curl\nArchitecture: amd64\nAuto-Installed: 0\n");
        var report = _fx.Run();
        Assert.Equal(["bash True", "curl True", "libc6 False"], report.Packages.Select(p => $"{p.Name} {p.Explicit}"));
        File.Delete(_fx.HostPath("/var/lib/apt/extended_states"));
        Assert.All(_fx.Run().Packages, p => Assert.Null(p.Explicit));
    }

    [Fact]
    public void Timeline_ReadsEveryRotation_InTimeOrder()
    {
        var report = Debian().Run();
        var dpkg = report.Events.Where(e => e.Manager == "dpkg").Select(e => $"{e.Time:yyyy-MM-dd HH:mm:ss} {e.Action} {e.Package}").ToArray();
        Assert.Equal(
        [
            "2024-01-10 09:00:02 Install libc6",
            "2024-01-10 09:00:03 Install bash",
            "2024-02-01 08:00:05 Upgrade libc6",
            "2024-03-05 14:22:11 Install curl",
            "2024-03-05 14:30:00 Remove oldtool",
        ], dpkg);
        var times = report.Events.Select(e => e.Time!.Value).ToArray();
        Assert.Equal(times.Order(), times);
        var upgrade = report.Events.Single(e => e.Package == "libc6" && e.Action == PackageAction.Upgrade);
        Assert.Equal(("2.36-9+deb12u3", "2.36-9+deb12u4"), (upgrade.PreviousVersion, upgrade.Version));
        Assert.Equal(("/var/log/dpkg.log.1:2", "apt-get upgrade -y"), (upgrade.Source, upgrade.CommandLine));
    }

    [Fact]
    public void AptHistory_WithoutDpkgLog_GivesTheEvents_AndTheyAreNotDoubledWithIt()
    {
        Debian();
        var both = _fx.Run();
        // apt lists libcurl4, which dpkg's log here does not: only that one stays as an apt event.
        Assert.Equal(["libcurl4"], both.Events.Where(e => e.Manager == "apt").Select(e => e.Package));
        Assert.Single(both.Events, e => e.Package == "curl");

        foreach (var log in Directory.GetFiles(_fx.HostPath("/var/log"), "dpkg.log*"))
        {
            File.Delete(log);
        }
        var aptOnly = _fx.Run();
        var upgrade = aptOnly.Events.Single(e => e.Package == "libc6");
        Assert.Equal(("apt", "2.36-9+deb12u3", "2.36-9+deb12u4"), (upgrade.Manager, upgrade.PreviousVersion, upgrade.Version));
        Assert.Equal("/var/log/apt/history.log.1.gz:4", upgrade.Source);
        Assert.Equal(["libc6", "curl", "libcurl4", "oldtool"], aptOnly.Events.Select(e => e.Package));
        Assert.Equal(new DateTimeOffset(2024, 2, 1, 8, 0, 0, TimeSpan.Zero), aptOnly.ImageCutoff);
    }

    [Fact]
    public void CorruptLines_AreReportedWithFileAndLine_AndTheRestIsRead()
    {
        var report = Debian().Run();
        Assert.Contains(report.Warnings, w => w.File == "/var/log/dpkg.log" && w.Line == 3);
        // An install line missing its new version.
        Assert.Contains(report.Warnings, w => w.File == "/var/log/dpkg.log" && w.Line == 5 && w.Message.Contains("fields", StringComparison.Ordinal));
        // The apt package list cut off mid-entry: entries before the cut are kept.
        Assert.Contains(report.Warnings, w => w.File == "/var/log/apt/history.log" && w.Line == 5 && w.Message.Contains("truncated", StringComparison.Ordinal));
        var apt = report.Events.Where(e => e.CommandLine == "apt-get install -y curl netcat-openbsd").Select(e => $"{e.Manager} {e.Package}").ToArray();
        Assert.Equal(["apt libcurl4", "dpkg curl"], apt);
        Assert.Contains(report.Events, e => e.Manager == "dpkg" && e.Package == "oldtool" && e.Action == PackageAction.Remove);
    }

    [Fact]
    public void AptRun_GivesCommandLineAndUser_ToDpkgLinesInItsWindow()
    {
        var report = Debian().Run();
        var curl = report.Events.Single(e => e.Manager == "dpkg" && e.Package == "curl");
        Assert.Equal("apt-get install -y curl netcat-openbsd", curl.CommandLine);
        Assert.Equal("bob (1000)", curl.RequestedBy);
        Assert.Null(report.Events.Single(e => e.Manager == "dpkg" && e.Package == "bash").CommandLine);
    }

    [Fact]
    public void Added_IsEverythingAfterTheEarliestBatch_WithTheCommand()
    {
        var report = Debian().Run();
        Assert.Equal("earliest-batch", report.AddedMethod);
        Assert.Equal(new DateTimeOffset(2024, 1, 10, 9, 0, 3, TimeSpan.Zero), report.ImageCutoff);
        var added = report.Added.Select(a => $"{a.Package.Name}: {a.Reason}").ToArray();
        Assert.Equal(["libc6: upgraded after the image's first install batch", "curl: installed after the image's first install batch"], added);
        var curl = report.Added.Single(a => a.Package.Name == "curl");
        Assert.Equal("apt-get install -y curl netcat-openbsd", curl.CommandLine);
        Assert.Equal(ToolKind.NetworkTool, curl.Package.Flag);
    }

    [Fact]
    public void Since_FiltersTheTimeline()
    {
        var report = Debian().Run(new TriageOptions { Since = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero) });
        Assert.NotEmpty(report.Events);
        Assert.All(report.Events, e => Assert.True(e.Time >= new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Contains(report.Events, e => e.Package == "curl");
        Assert.Equal(3, report.Packages.Count(p => p.Manager == "dpkg"));
    }

    [Fact]
    public void TruncatedGzip_WarnsAndKeepsWhatCameBefore()
    {
        var lines = string.Concat(Enumerable.Range(0, 2000).Select(i =>
            $"2024-01-10 09:{i / 60 % 60:00}:{i % 60:00} install pkg{i}:amd64 <none> 1.{i}\n"));
        _fx.WriteGz("/var/log/dpkg.log.1.gz", lines, truncateBytes: 400);
        var report = _fx.Run();
        var w = Assert.Single(report.Warnings);
        Assert.Equal("/var/log/dpkg.log.1.gz", w.File);
        Assert.Contains("truncated", w.Message, StringComparison.Ordinal);
        var read = report.Events.Count;
        Assert.InRange(read, 1, 1999);
        Assert.Equal(read + 1, w.Line);
    }

    [Fact]
    public void Baseline_DiffsPackagesAgainstTheImage()
    {
        Debian();
        using var image = new Fixture();
        image.Write("/var/lib/dpkg/status", """
            Package: libc6
            Status: install ok installed
            Architecture: amd64
            Version: 2.36-9+deb12u3

            Package: bash
            Status: install ok installed
            Architecture: amd64
            Version: 5.2.15-2+b2

            Package: tzdata
            Status: install ok installed
            Architecture: all
            Version: 2024a-0+deb12u1

            """);
        var report = _fx.Run(new TriageOptions { BaselineRoot = image.Root });
        Assert.Equal("baseline", report.AddedMethod);
        var added = report.Added.Select(a => $"{a.Package.Name}: {a.Reason}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["curl: not in the baseline", "libc6: version 2.36-9+deb12u3 in the baseline"], added);
        Assert.Equal("tzdata", Assert.Single(report.Removed).Name);
        Assert.Equal("apt-get install -y curl netcat-openbsd", report.Added.Single(a => a.Package.Name == "curl").CommandLine);
    }
}
