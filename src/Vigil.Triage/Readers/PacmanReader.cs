using System.Globalization;

namespace Vigil.Triage.Readers;

/// <summary>Arch's pacman: the local database (<c>/var/lib/pacman/local/*/desc</c>) and <c>/var/log/pacman.log</c>.</summary>
internal static class PacmanReader
{
    public const string LocalDir = "/var/lib/pacman/local";

    public static void Read(TriageContext ctx)
    {
        foreach (var entry in ctx.Fs.List(LocalDir))
        {
            var desc = $"{LocalDir}/{entry}/desc";
            if (ctx.Fs.FileExists(desc))
            {
                ReadDesc(ctx, desc);
            }
        }
        foreach (var log in ctx.Rotated("/var/log", "pacman.log"))
        {
            ReadLog(ctx, log);
        }
    }

    private static void ReadDesc(TriageContext ctx, string path)
    {
        // "%NAME%\ncurl\n\n%VERSION%\n8.5.0-1\n..." : a header, then values up to a blank line.
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        foreach (var (line, text) in ctx.Fs.ReadLines(path))
        {
            if (text.Length == 0)
            {
                key = null;
            }
            else if (key is null)
            {
                if (text.Length > 2 && text[0] == '%' && text[^1] == '%')
                {
                    key = text[1..^1];
                }
                else
                {
                    ctx.Fs.Warn(path, line, "expected a %FIELD% header; skipped");
                }
            }
            else if (!fields.ContainsKey(key))
            {
                fields[key] = text;
            }
        }
        if (!fields.TryGetValue("NAME", out var name))
        {
            ctx.Fs.Warn(path, null, "no %NAME% field; entry skipped");
            return;
        }
        DateTimeOffset? installed = null;
        if (fields.TryGetValue("INSTALLDATE", out var date))
        {
            if (long.TryParse(date, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                installed = TriageContext.FromUnix(seconds);
            }
            else
            {
                ctx.Fs.Warn(path, null, $"%INSTALLDATE% '{date}' is not a number");
            }
        }
        // REASON 1 is "installed as a dependency"; absent or 0 is explicit.
        bool isExplicit = !fields.TryGetValue("REASON", out var reason) || reason != "1";
        ctx.Package("pacman", name, fields.GetValueOrDefault("VERSION"), fields.GetValueOrDefault("ARCH"), installed, isExplicit, path);
    }

    private static void ReadLog(TriageContext ctx, string path)
    {
        string? commandLine = null;
        string batch = $"{path}#0";
        foreach (var (line, text) in ctx.Fs.ReadLines(path))
        {
            if (text.Length == 0)
            {
                continue;
            }
            // "[2024-01-02T10:11:12+0000] [ALPM] installed curl (8.5.0-1)"; before pacman 5.1: "[2019-01-02 10:11] ..."
            int close = text.IndexOf(']', StringComparison.Ordinal);
            DateTimeOffset? time = text.StartsWith('[') && close > 0 ? ParseTime(text[1..close]) : null;
            if (time is null)
            {
                ctx.Fs.Warn(path, line, "not a pacman log line (expected '[time] [SOURCE] message'); skipped");
                continue;
            }
            var rest = text[(close + 1)..].TrimStart();
            if (rest.StartsWith("[PACMAN] Running '", StringComparison.Ordinal) && rest.EndsWith('\''))
            {
                commandLine = rest["[PACMAN] Running '".Length..^1];
                batch = $"{path}#{line.ToString(CultureInfo.InvariantCulture)}";
                continue;
            }
            if (!rest.StartsWith("[ALPM] ", StringComparison.Ordinal))
            {
                continue;
            }
            var message = rest["[ALPM] ".Length..];
            int space = message.IndexOf(' ', StringComparison.Ordinal);
            PackageAction? action = space < 0 ? null : message[..space] switch
            {
                "installed" => PackageAction.Install,
                "upgraded" => PackageAction.Upgrade,
                "downgraded" => PackageAction.Downgrade,
                "reinstalled" => PackageAction.Reinstall,
                "removed" => PackageAction.Remove,
                _ => null,
            };
            if (action is not { } a)
            {
                continue;
            }
            // "curl (8.5.0-1)" or "openssl (3.1.4-1 -> 3.2.0-1)"
            var body = message[(space + 1)..];
            int open = body.IndexOf(" (", StringComparison.Ordinal);
            if (open <= 0 || !body.EndsWith(')'))
            {
                ctx.Fs.Warn(path, line, $"'{message[..space]}' line lacks 'name (version)'; skipped");
                continue;
            }
            var package = body[..open];
            var versions = body[(open + 2)..^1].Split(" -> ");
            var version = versions[^1];
            var previous = versions.Length > 1 ? versions[0] : null;
            ctx.Event(time, "pacman", a, package, version, previous, commandLine, null, $"{path}:{line}", batch);
        }
    }

    private static DateTimeOffset? ParseTime(string text)
    {
        if (DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:sszzzz", "yyyy-MM-dd'T'HH:mm:ssK"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return t;
        }
        // pacman writes "+0000"; .NET's zone patterns want "+00:00".
        if (text.Length == 24 && text[19] is '+' or '-')
        {
            var withColon = text[..22] + ":" + text[22..];
            if (DateTimeOffset.TryParseExact(withColon, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out t))
            {
                return t;
            }
        }
        return TriageContext.ParseNaive(text, "yyyy-MM-dd HH:mm");
    }
}
