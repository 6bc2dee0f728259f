using System.Globalization;

namespace Vigil.Triage;

/// <summary>What the readers of one root collect.</summary>
internal sealed class TriageContext(RootFs fs)
{
    public RootFs Fs { get; } = fs;

    public List<PackageEvent> Events { get; } = [];

    public List<InstalledPackage> Packages { get; } = [];

    public SortedSet<string> Managers { get; } = new(StringComparer.Ordinal);

    public void Event(DateTimeOffset? time, string manager, PackageAction action, string package, string? version, string? previous,
        string? commandLine, string? requestedBy, string source, string batch)
    {
        Managers.Add(manager);
        Events.Add(new PackageEvent(time, manager, action, package, version, previous, commandLine, requestedBy, source, ToolCatalog.Classify(package))
        {
            Batch = batch,
        });
    }

    public void Package(string manager, string name, string? version, string? arch, DateTimeOffset? installedAt, bool? isExplicit, string source)
    {
        Managers.Add(manager);
        Packages.Add(new InstalledPackage(manager, name, version, arch, installedAt, isExplicit, source, ToolCatalog.Classify(name)));
    }

    /// <summary>
    /// The log and its rotations, oldest first: <c>name.N.gz</c> ... <c>name.1</c>, <c>name</c>. Other compressions are
    /// reported, not read.
    /// </summary>
    public List<string> Rotated(string dir, string name)
    {
        var found = new List<(int Order, string Path)>();
        foreach (var entry in Fs.List(dir))
        {
            if (entry == name)
            {
                found.Add((0, $"{dir}/{entry}"));
                continue;
            }
            if (!entry.StartsWith(name + ".", StringComparison.Ordinal))
            {
                continue;
            }
            var rest = entry[(name.Length + 1)..];
            var gz = rest.EndsWith(".gz", StringComparison.Ordinal);
            var number = gz ? rest[..^3] : rest;
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                found.Add((n, $"{dir}/{entry}"));
            }
            else if (rest.EndsWith(".xz", StringComparison.Ordinal) || rest.EndsWith(".bz2", StringComparison.Ordinal) || rest.EndsWith(".zst", StringComparison.Ordinal))
            {
                Fs.Warn($"{dir}/{entry}", null, "compressed with a format Vigil does not read (only gzip); skipped");
            }
        }
        return found.OrderByDescending(f => f.Order).Select(f => f.Path).ToList();
    }

    /// <summary>Reads <c>Key: value</c> stanzas separated by blank lines (dpkg status, apt history).</summary>
    public IEnumerable<Stanza> Stanzas(string path, char separator)
    {
        Stanza? current = null;
        foreach (var (line, text) in Fs.ReadLines(path))
        {
            if (text.Length == 0)
            {
                if (current is not null)
                {
                    yield return current;
                    current = null;
                }
                continue;
            }
            if (text[0] is ' ' or '\t')
            {
                // Continuation of a multi-line field (descriptions, conffiles): nothing we read.
                continue;
            }
            int sep = text.IndexOf(separator, StringComparison.Ordinal);
            if (sep <= 0)
            {
                Fs.Warn(path, line, $"not a 'Field{separator} value' line; skipped");
                continue;
            }
            current ??= new Stanza(line);
            current.Fields[text[..sep]] = (text[(sep + 1)..].Trim(), line);
        }
        if (current is not null)
        {
            yield return current;
        }
    }

    public static DateTimeOffset FromUnix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    /// <summary>A naive local time from a log, read as UTC (containers nearly always run in UTC).</summary>
    public static DateTimeOffset? ParseNaive(string text, string format) =>
        DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? new DateTimeOffset(t, TimeSpan.Zero)
            : null;

    /// <summary>Events of a manager that logs line by line, grouped into batches by gaps of more than this.</summary>
    public static readonly TimeSpan BatchGap = TimeSpan.FromMinutes(10);
}

/// <summary>One stanza: fields by name with the line each was on.</summary>
internal sealed class Stanza(int line)
{
    public int Line { get; } = line;

    public Dictionary<string, (string Value, int Line)> Fields { get; } = new(StringComparer.Ordinal);

    public string? this[string key] => Fields.TryGetValue(key, out var v) ? v.Value : null;
}
