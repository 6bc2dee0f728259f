using System.Globalization;

namespace Vigil.Triage.Readers;

/// <summary>dpkg's database (<c>/var/lib/dpkg/status</c>) and log (<c>/var/log/dpkg.log</c> and its rotations).</summary>
internal static class DpkgReader
{
    public const string StatusPath = "/var/lib/dpkg/status";

    public static void Read(TriageContext ctx)
    {
        ReadStatus(ctx);
        foreach (var log in ctx.Rotated("/var/log", "dpkg.log"))
        {
            ReadLog(ctx, log);
        }
    }

    public const string ExtendedStatesPath = "/var/lib/apt/extended_states";

    private static void ReadStatus(TriageContext ctx)
    {
        var auto = AutoInstalled(ctx);
        foreach (var stanza in ctx.Stanzas(StatusPath, ':'))
        {
            var name = stanza["Package"];
            if (string.IsNullOrEmpty(name))
            {
                ctx.Fs.Warn(StatusPath, stanza.Line, "entry has no Package field; skipped");
                continue;
            }
            // "install ok installed", "hold ok installed"; config-files, half-installed and the like are not present.
            var status = stanza["Status"];
            if (status is null || !status.EndsWith(" installed", StringComparison.Ordinal))
            {
                continue;
            }
            var arch = stanza["Architecture"];
            bool? isExplicit = auto is null ? null : !auto.Contains($"{name}:{arch}") && !auto.Contains(name);
            ctx.Package("dpkg", name, stanza["Version"], arch, null, isExplicit, StatusPath);
        }
    }

    /// <summary>
    /// Packages apt installed as dependencies (<c>Auto-Installed: 1</c> in apt's extended_states), as name and
    /// name:arch; null when apt left no such file, so "explicit" stays unknown.
    /// </summary>
    private static HashSet<string>? AutoInstalled(TriageContext ctx)
    {
        if (!ctx.Fs.FileExists(ExtendedStatesPath))
        {
            return null;
        }
        var auto = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stanza in ctx.Stanzas(ExtendedStatesPath, ':'))
        {
            if (stanza["Package"] is { Length: > 0 } name && stanza["Auto-Installed"] == "1")
            {
                auto.Add(stanza["Architecture"] is { } arch ? $"{name}:{arch}" : name);
            }
        }
        return auto;
    }

    private static void ReadLog(TriageContext ctx, string path)
    {
        DateTimeOffset? last = null;
        int batch = 0;
        foreach (var (line, text) in ctx.Fs.ReadLines(path))
        {
            if (text.Length == 0)
            {
                continue;
            }
            // "2024-01-02 10:11:12 install curl:amd64 <none> 7.88.1-10+deb12u5"
            var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var time = parts.Length >= 3 ? TriageContext.ParseNaive($"{parts[0]} {parts[1]}", "yyyy-MM-dd HH:mm:ss") : null;
            if (time is null)
            {
                ctx.Fs.Warn(path, line, "not a dpkg log line (expected 'YYYY-MM-DD HH:MM:SS action ...'); skipped");
                continue;
            }
            if (last is null || time - last > TriageContext.BatchGap)
            {
                batch++;
            }
            last = time;
            var verb = parts[2];
            PackageAction? action = verb switch
            {
                "install" => PackageAction.Install,
                "upgrade" => PackageAction.Upgrade,
                "remove" => PackageAction.Remove,
                "purge" => PackageAction.Purge,
                _ => null,
            };
            if (action is not { } a)
            {
                // startup, status, configure, trigproc, conffile: progress of the same run, nothing new to report.
                continue;
            }
            if (parts.Length != 6)
            {
                ctx.Fs.Warn(path, line, $"'{verb}' line has {parts.Length - 3} fields, expected 3 (package, old version, new version); skipped");
                continue;
            }
            var (package, _) = SplitArch(parts[3]);
            var oldVersion = parts[4] == "<none>" ? null : parts[4];
            var newVersion = parts[5] == "<none>" ? null : parts[5];
            if (a == PackageAction.Upgrade && oldVersion == newVersion)
            {
                a = PackageAction.Reinstall;
            }
            else if (a == PackageAction.Upgrade && oldVersion is null)
            {
                a = PackageAction.Install;
            }
            var version = a is PackageAction.Remove or PackageAction.Purge ? oldVersion : newVersion;
            var previous = a is PackageAction.Upgrade ? oldVersion : null;
            ctx.Event(time, "dpkg", a, package, version, previous, null, null, $"{path}:{line}", $"{path}#{batch.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    public static (string Name, string? Arch) SplitArch(string package)
    {
        int colon = package.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? (package[..colon], package[(colon + 1)..]) : (package, null);
    }
}

/// <summary>apt's transaction history (<c>/var/log/apt/history.log</c> and its rotations).</summary>
internal static class AptHistoryReader
{
    /// <summary>One apt run: its window lets dpkg log lines inherit its command line.</summary>
    internal sealed record Run(DateTimeOffset Start, DateTimeOffset End, string? CommandLine, string? RequestedBy, string Batch);

    public static List<Run> Read(TriageContext ctx)
    {
        var runs = new List<Run>();
        foreach (var log in ctx.Rotated("/var/log/apt", "history.log"))
        {
            foreach (var stanza in ctx.Stanzas(log, ':'))
            {
                ReadRun(ctx, log, stanza, runs);
            }
        }
        return runs;
    }

    private static void ReadRun(TriageContext ctx, string path, Stanza stanza, List<Run> runs)
    {
        DateTimeOffset? start = Date(ctx, path, stanza, "Start-Date");
        DateTimeOffset? end = Date(ctx, path, stanza, "End-Date");
        var commandLine = stanza["Commandline"];
        var requestedBy = stanza["Requested-By"];
        var batch = $"{path}#{stanza.Line.ToString(CultureInfo.InvariantCulture)}";
        if (start is null && stanza["Start-Date"] is null)
        {
            ctx.Fs.Warn(path, stanza.Line, "apt history entry has no Start-Date");
        }
        foreach (var (field, action) in Fields)
        {
            if (!stanza.Fields.TryGetValue(field, out var value))
            {
                continue;
            }
            foreach (var (name, versions) in ParseList(ctx, path, value.Line, value.Value))
            {
                var (package, _) = DpkgReader.SplitArch(name);
                string? version = versions.Count > 0 ? versions[0] : null;
                string? previous = null;
                if (action is PackageAction.Upgrade or PackageAction.Downgrade)
                {
                    if (versions.Count < 2)
                    {
                        ctx.Fs.Warn(path, value.Line, $"{field} entry '{name}' lacks the new version; skipped");
                        continue;
                    }
                    previous = versions[0];
                    version = versions[1];
                }
                ctx.Event(start ?? end, "apt", action, package, version, previous, commandLine, requestedBy, $"{path}:{value.Line}", batch);
            }
        }
        if (start is { } s)
        {
            runs.Add(new Run(s, end ?? s, commandLine, requestedBy, batch));
        }
    }

    private static readonly (string Field, PackageAction Action)[] Fields =
    [
        ("Install", PackageAction.Install),
        ("Reinstall", PackageAction.Reinstall),
        ("Upgrade", PackageAction.Upgrade),
        ("Downgrade", PackageAction.Downgrade),
        ("Remove", PackageAction.Remove),
        ("Purge", PackageAction.Purge),
    ];

    private static DateTimeOffset? Date(TriageContext ctx, string path, Stanza stanza, string field)
    {
        if (!stanza.Fields.TryGetValue(field, out var v))
        {
            return null;
        }
        // apt writes two spaces between date and time.
        var text = string.Join(' ', v.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var time = TriageContext.ParseNaive(text, "yyyy-MM-dd HH:mm:ss");
        if (time is null)
        {
            ctx.Fs.Warn(path, v.Line, $"{field} '{v.Value}' is not a date (expected 'YYYY-MM-DD  HH:MM:SS')");
        }
        return time;
    }

    /// <summary>Parses <c>curl:amd64 (7.88.1-10), libcurl4:amd64 (7.88.1-10, automatic), openssl:amd64 (3.0.11-1, 3.0.13-1)</c>.</summary>
    internal static List<(string Name, List<string> Versions)> ParseList(TriageContext ctx, string path, int line, string text)
    {
        var result = new List<(string, List<string>)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] is ' ' or ',')
            {
                i++;
            }
            if (i >= text.Length)
            {
                break;
            }
            int open = text.IndexOf(" (", i, StringComparison.Ordinal);
            int close = open < 0 ? -1 : text.IndexOf(')', open);
            if (open < 0 || close < 0)
            {
                ctx.Fs.Warn(path, line, $"package list is truncated or malformed at column {i + 1}: '{Clip(text[i..])}'; rest of line skipped");
                break;
            }
            var name = text[i..open].Trim();
            var versions = text[(open + 2)..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(v => v != "automatic").ToList();
            if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
            {
                ctx.Fs.Warn(path, line, $"malformed package entry at column {i + 1}: '{Clip(text[i..(close + 1)])}'; skipped");
            }
            else
            {
                result.Add((name, versions));
            }
            i = close + 1;
        }
        return result;
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
