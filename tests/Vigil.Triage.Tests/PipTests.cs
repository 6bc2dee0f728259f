namespace Vigil.Triage.Tests;

public sealed class PipTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public void DistInfo_WithInstaller_IsAPackageInstalledAtTheFilesTime()
    {
        var when = new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Utc);
        _fx.Write("/usr/local/lib/python3.11/site-packages/impacket-0.11.0.dist-info/INSTALLER", "pip\n", when)
            .Write("/usr/local/lib/python3.11/site-packages/impacket-0.11.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: impacket\nVersion: 0.11.0\n\nlong text\nName: not-this\n")
            .Write("/root/.local/lib/python3.11/site-packages/pwntools-4.12.0.dist-info/INSTALLER", "uv\n", when.AddMinutes(1))
            .Write("/usr/lib/python3/dist-packages/six-1.16.0.dist-info/INSTALLER", "debian\n")
            .Write("/usr/lib/python3.11/site-packages/noinstaller-1.0.dist-info/METADATA", "Name: noinstaller\n");
        var report = _fx.Run();
        var pip = report.Packages.Select(p => $"{p.Manager} {p.Name} {p.Version} {p.InstalledAt:O}").ToArray();
        Assert.Equal(
        [
            "pip impacket 0.11.0 2024-06-01T12:30:00.0000000+00:00",
            "pip pwntools 4.12.0 2024-06-01T12:31:00.0000000+00:00",
        ], pip);
        Assert.Equal(2, report.Events.Count(e => e.Manager == "pip" && e.Action == PackageAction.Install));
    }

    [Fact]
    public void PipInstalls_AfterTheImage_AreAdded()
    {
        _fx.Write("/var/log/dpkg.log", "2024-01-01 00:00:00 install python3.11:amd64 <none> 3.11.2-6\n")
            .Write("/usr/lib/python3/dist-packages/x-1.dist-info/INSTALLER", "pip\n", new DateTime(2023, 12, 31, 0, 0, 0, DateTimeKind.Utc))
            .Write("/usr/local/lib/python3.11/dist-packages/scapy-2.5.0.dist-info/INSTALLER", "pip\n", new DateTime(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        var report = _fx.Run();
        var a = Assert.Single(report.Added);
        Assert.Equal(("pip", "scapy"), (a.Package.Manager, a.Package.Name));
    }
}
