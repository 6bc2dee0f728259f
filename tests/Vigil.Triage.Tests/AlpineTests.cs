namespace Vigil.Triage.Tests;

public sealed class AlpineTests : IDisposable
{
    private readonly Fixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static string Installed(params (string Name, string Version)[] packages) =>
        string.Concat(packages.Select(p => $"C:Q1abc=\nP:{p.Name}\nV:{p.Version}\nA:x86_64\nS:1000\nT:{p.Name} package\nt:1700000000\nF:usr/bin\nR:{p.Name}\n\n"));

    [Fact]
    public void InstalledDb_AndWorld_GivePackagesAndWhichWereAskedFor()
    {
        _fx.Write("/lib/apk/db/installed", Installed(("musl", "1.2.4-r2"), ("busybox", "1.36.1-r15"), ("curl", "8.5.0-r0"), ("libcurl", "8.5.0-r0"))
                + "P:broken\nthis is not a field\nV:1\n\n")
            .Write("/etc/apk/world", "alpine-baselayout busybox curl>=8 !ssl_client\n");
        var report = _fx.Run();
        Assert.Equal(["apk"], report.Managers);
        var packages = report.Packages.Select(p => $"{p.Name} {p.Version} {p.Explicit}").ToArray();
        Assert.Equal(["broken 1 False", "busybox 1.36.1-r15 True", "curl 8.5.0-r0 True", "libcurl 8.5.0-r0 False", "musl 1.2.4-r2 False"], packages);
        var w = Assert.Single(report.Warnings);
        Assert.Equal(("/lib/apk/db/installed", 42), (w.File, w.Line));
        Assert.Equal(ToolKind.NetworkTool, report.Packages.Single(p => p.Name == "busybox").Flag);
    }

    [Fact]
    public void WithoutTimes_AddedIsUnknown_AndBaselineTellsIt()
    {
        _fx.Write("/lib/apk/db/installed", Installed(("musl", "1.2.4-r2"), ("busybox", "1.36.1-r15"), ("curl", "8.5.0-r0"), ("socat", "1.7.4.4-r1")));
        Assert.Equal("unknown", _fx.Run().AddedMethod);
        Assert.Empty(_fx.Run().Added);

        using var image = new Fixture();
        image.Write("/lib/apk/db/installed", Installed(("musl", "1.2.4-r2"), ("busybox", "1.36.1-r14"), ("ca-certificates", "20230506-r0")));
        var report = _fx.Run(new TriageOptions { BaselineRoot = image.Root });
        Assert.Equal("baseline", report.AddedMethod);
        var added = report.Added.Select(a => $"{a.Package.Name} {ToolCatalog.Name(a.Package.Flag)} {a.Reason}").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "busybox network-tool version 1.36.1-r14 in the baseline",
            "curl network-tool not in the baseline",
            "socat network-tool not in the baseline",
        ], added);
        Assert.Equal("ca-certificates", Assert.Single(report.Removed).Name);
    }
}
