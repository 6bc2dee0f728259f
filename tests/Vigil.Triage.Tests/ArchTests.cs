namespace Vigil.Triage.Tests;

public sealed class ArchTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static string Desc(string name, string version, long installDate, bool dependency) =>
        $"%NAME%\n{name}\n\n%VERSION%\n{version}\n\n%ARCH%\nx86_64\n\n%INSTALLDATE%\n{installDate}\n\n" + (dependency ? "%REASON%\n1\n\n" : string.Empty);

    private static readonly long Image = new DateTimeOffset(2024, 1, 5, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
    private static readonly long Later = new DateTimeOffset(2024, 3, 9, 22, 15, 30, TimeSpan.Zero).ToUnixTimeSeconds();

    private Fixture Arch() => _fx
        .Write("/var/lib/pacman/local/glibc-2.39-1/desc", Desc("glibc", "2.39-1", Image, dependency: true))
        .Write("/var/lib/pacman/local/bash-5.2.026-2/desc", Desc("bash", "5.2.026-2", Image + 2, dependency: false))
        .Write("/var/lib/pacman/local/nmap-7.94-3/desc", Desc("nmap", "7.94-3", Later, dependency: false))
        .Write("/var/lib/pacman/local/lua-5.4.6-3/desc", Desc("lua", "5.4.6-3", Later + 1, dependency: false))
        .Write("/var/lib/pacman/local/broken-1/desc", "%VERSION%\n1\n")
        .Write("/var/lib/pacman/local/ALPM_DB_VERSION", "9\n")
        .WriteGz("/var/log/pacman.log.1.gz", """
            [2024-01-05 12:00] [PACMAN] Running 'pacman -Sy --noconfirm base'
            [2024-01-05 12:00] [ALPM] installed glibc (2.39-1)
            [2024-01-05 12:00] [ALPM] installed bash (5.2.026-2)

            """)
        .Write("/var/log/pacman.log", """
            [2024-03-09T22:15:20+0000] [PACMAN] Running 'pacman -S --noconfirm nmap lua'
            [2024-03-09T22:15:21+0000] [ALPM] transaction started
            [2024-03-09T22:15:30+0000] [ALPM] installed nmap (7.94-3)
            [2024-03-09T22:15:31+0000] [ALPM] installed lua (5.4.6-3)
            corrupted text without a timestamp
            [2024-03-09T22:16:00+0000] [ALPM] upgraded glibc (2.39-1 -> 2.39-2)
            [2024-03-09T22:17:00+0000] [ALPM] removed bash

            """);

    [Fact]
    public void LocalDb_GivesPackagesWithInstallDatesAndReason()
    {
        var report = Arch().Run();
        var packages = report.Packages.Select(p => $"{p.Name} {p.Version} {p.Explicit} {p.InstalledAt:yyyy-MM-dd}").ToArray();
        Assert.Equal(["bash 5.2.026-2 True 2024-01-05", "glibc 2.39-1 False 2024-01-05", "lua 5.4.6-3 True 2024-03-09", "nmap 7.94-3 True 2024-03-09"], packages);
        Assert.Contains(report.Warnings, w => w.File == "/var/lib/pacman/local/broken-1/desc" && w.Message.Contains("%NAME%", StringComparison.Ordinal));
    }

    [Fact]
    public void Log_GivesEventsWithTheRunningCommand_OldAndNewTimeFormats()
    {
        var report = Arch().Run();
        var events = report.Events.Select(e => $"{e.Time:yyyy-MM-ddTHH:mm:ss} {e.Action} {e.Package} {e.PreviousVersion}>{e.Version} [{e.CommandLine}]").ToArray();
        Assert.Equal(
        [
            "2024-01-05T12:00:00 Install glibc >2.39-1 [pacman -Sy --noconfirm base]",
            "2024-01-05T12:00:00 Install bash >5.2.026-2 [pacman -Sy --noconfirm base]",
            "2024-03-09T22:15:30 Install nmap >7.94-3 [pacman -S --noconfirm nmap lua]",
            "2024-03-09T22:15:31 Install lua >5.4.6-3 [pacman -S --noconfirm nmap lua]",
            "2024-03-09T22:16:00 Upgrade glibc 2.39-1>2.39-2 [pacman -S --noconfirm nmap lua]",
        ], events);
        Assert.Contains(report.Warnings, w => w.File == "/var/log/pacman.log" && w.Line == 5);
        Assert.Contains(report.Warnings, w => w.File == "/var/log/pacman.log" && w.Line == 7 && w.Message.Contains("name (version)", StringComparison.Ordinal));
    }

    [Fact]
    public void Added_FollowsTheFirstRun()
    {
        var report = Arch().Run();
        Assert.Equal(new DateTimeOffset(2024, 1, 5, 12, 0, 0, TimeSpan.Zero), report.ImageCutoff);
        var added = report.Added.Select(a => $"{a.Package.Name} {ToolCatalog.Name(a.Package.Flag)} [{a.CommandLine}]").ToArray();
        Assert.Equal(["nmap network-tool [pacman -S --noconfirm nmap lua]", "lua interpreter [pacman -S --noconfirm nmap lua]", "glibc  [pacman -S --noconfirm nmap lua]"], added);
    }

    [Fact]
    public void WithoutALog_InstallDatesStandIn()
    {
        Arch();
        File.Delete(_fx.HostPath("/var/log/pacman.log"));
        File.Delete(_fx.HostPath("/var/log/pacman.log.1.gz"));
        var report = _fx.Run();
        Assert.Equal("earliest-batch", report.AddedMethod);
        Assert.Equal(["nmap", "lua"], report.Added.Select(a => a.Package.Name));
    }
}
