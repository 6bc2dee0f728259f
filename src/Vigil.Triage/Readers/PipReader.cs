namespace Vigil.Triage.Readers;

/// <summary>
/// Python packages installed by an installer that leaves a record: <c>*.dist-info/INSTALLER</c>, written at install
/// time, so its modification time is the install time.
/// </summary>
internal static class PipReader
{
    private static readonly string[] Prefixes = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64", "/root/.local/lib"];

    private static readonly HashSet<string> DistroInstallers = new(["debian", "dpkg", "rpm", "apk", "pacman"], StringComparer.OrdinalIgnoreCase);

    public static void Read(TriageContext ctx)
    {
        var libs = Prefixes.ToList();
        foreach (var home in ctx.Fs.List("/home"))
        {
            libs.Add($"/home/{home}/.local/lib");
        }
        foreach (var lib in libs)
        {
            foreach (var python in ctx.Fs.List(lib).Where(n => n.StartsWith("python", StringComparison.Ordinal)))
            {
                foreach (var packages in new[] { "site-packages", "dist-packages" })
                {
                    var dir = $"{lib}/{python}/{packages}";
                    foreach (var info in ctx.Fs.List(dir).Where(n => n.EndsWith(".dist-info", StringComparison.Ordinal)))
                    {
                        ReadDistInfo(ctx, $"{dir}/{info}", info);
                    }
                }
            }
        }
    }

    private static void ReadDistInfo(TriageContext ctx, string dir, string dirName)
    {
        var installerPath = $"{dir}/INSTALLER";
        if (!ctx.Fs.FileExists(installerPath))
        {
            return;
        }
        var installer = ctx.Fs.ReadLines(installerPath).Select(l => l.Text.Trim()).FirstOrDefault(l => l.Length > 0) ?? string.Empty;
        if (DistroInstallers.Contains(installer))
        {
            // Laid down by the OS package manager, which already reports it.
            return;
        }
        string? name = null, version = null;
        foreach (var (_, text) in ctx.Fs.ReadLines($"{dir}/METADATA"))
        {
            if (text.Length == 0)
            {
                break; // headers end; the long description follows
            }
            if (text.StartsWith("Name: ", StringComparison.Ordinal))
            {
                name ??= text[6..].Trim();
            }
            else if (text.StartsWith("Version: ", StringComparison.Ordinal))
            {
                version ??= text[9..].Trim();
            }
        }
        if (name is null)
        {
            // "requests-2.31.0.dist-info": names have '_' for '-', so the first '-' ends the name.
            var stem = dirName[..^".dist-info".Length];
            int dash = stem.IndexOf('-', StringComparison.Ordinal);
            name = dash > 0 ? stem[..dash] : stem;
            version ??= dash > 0 ? stem[(dash + 1)..] : null;
        }
        var time = ctx.Fs.ModifiedTime(installerPath);
        ctx.Package("pip", name, version, null, time, null, installerPath);
        ctx.Event(time, "pip", PackageAction.Install, name, version, null, null, null, installerPath, "pip");
    }
}
