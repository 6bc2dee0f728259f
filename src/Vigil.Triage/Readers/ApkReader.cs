namespace Vigil.Triage.Readers;

/// <summary>
/// Alpine's apk database (<c>/lib/apk/db/installed</c>) and the packages asked for by name (<c>/etc/apk/world</c>).
/// apk keeps no install times or log, so Alpine roots need <c>--baseline</c> to tell what was added.
/// </summary>
internal static class ApkReader
{
    public const string InstalledPath = "/lib/apk/db/installed";
    public const string WorldPath = "/etc/apk/world";

    public static void Read(TriageContext ctx)
    {
        var world = ReadWorld(ctx);
        foreach (var stanza in ctx.Stanzas(InstalledPath, ':'))
        {
            var name = stanza["P"];
            if (string.IsNullOrEmpty(name))
            {
                ctx.Fs.Warn(InstalledPath, stanza.Line, "entry has no P: (package name) line; skipped");
                continue;
            }
            ctx.Package("apk", name, stanza["V"], stanza["A"], null, world is null ? null : world.Contains(name), InstalledPath);
        }
    }

    private static HashSet<string>? ReadWorld(TriageContext ctx)
    {
        if (!ctx.Fs.FileExists(WorldPath))
        {
            return null;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, text) in ctx.Fs.ReadLines(WorldPath))
        {
            foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // "curl", "curl>=8", "curl@edge", "!curl" (a conflict, not a request).
                if (token.StartsWith('!'))
                {
                    continue;
                }
                int end = token.IndexOfAny(['=', '<', '>', '~', '@']);
                names.Add(end > 0 ? token[..end] : token);
            }
        }
        return names;
    }
}
