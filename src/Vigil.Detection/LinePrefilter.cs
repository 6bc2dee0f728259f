using Vigil.Events;
using System.Buffers;
using System.Text;
using Vigil.Eql;

namespace Vigil.Detection;

/// <summary>
/// Decides from a line's raw bytes, without parsing it, that no loaded rule can match it: every rule requires some literal
/// (<see cref="CompiledQuery.RequiredLiterals"/>) and the line contains none of them. One vectorised multi-string search
/// over the line (bytes widened 1:1 to chars, so UTF-8 literals are searched as their bytes) looks for each rule's most
/// selective set; only lines with a hit are checked against every set of a rule. Lines that are not plainly one JSON
/// object, or that hold a <c>\u</c> or <c>\/</c> escape (which could hide a literal), are never skipped.
/// (A hand-written Teddy filter over the bytes was tried and measured slower than <c>SearchValues&lt;string&gt;</c> over
/// widened chars: widening runs at about 18 GB/s, the search at about 7 GB/s per core.)
/// </summary>
internal sealed class LinePrefilter
{
    /// <summary>Above this many rules, a hit on any rule's anchor set is enough to parse the line.</summary>
    private const int MaxRulesCheckedInFull = 32;

    // Values found in nearly every event of a data stream: a set holding one of them makes a poor anchor.
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "process", "file", "network", "start", "end", "exec", "fork", "linux", "info", "change", "creation", "deletion",
        "event", "logs", "default", "cloud_defend", "x86_64", "container", "host", "user", "root",
    };

    private readonly SearchValues<string> _anchors;
    private readonly SearchValues<string>? _anchorsIgnoreCase;
    private readonly (SearchValues<string> Values, bool IgnoreCase)[][]? _rules;

    private LinePrefilter(SearchValues<string> anchors, SearchValues<string>? anchorsIgnoreCase, (SearchValues<string>, bool)[][]? rules)
    {
        _anchors = anchors;
        _anchorsIgnoreCase = anchorsIgnoreCase;
        _rules = rules;
    }

    /// <summary>The filter for these queries, or null when some query requires no literal (then no line can be skipped).</summary>
    public static LinePrefilter? Create(IReadOnlyCollection<CompiledQuery> queries)
    {
        if (queries.Count == 0 || queries.Any(q => q.RequiredLiterals.Count == 0))
        {
            return null;
        }
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var anchorsIgnoreCase = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var q in queries)
        {
            var best = q.RequiredLiterals
                .OrderBy(s => s.Values.Any(Common.Contains) ? 1 : 0)
                .ThenByDescending(s => s.MinLength)
                .ThenBy(s => s.Values.Count)
                .First();
            (best.IgnoreCase ? anchorsIgnoreCase : anchors).UnionWith(best.Values.Select(Widen));
        }
        var rules = queries.Count > MaxRulesCheckedInFull ? null : queries
            .Select(q => q.RequiredLiterals.Select(s => (SearchValues.Create(s.Values.Select(Widen).ToArray(), s.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal), s.IgnoreCase)).ToArray())
            .ToArray();
        // The escapes that can hide a literal are searched with the anchors: one pass over the line finds either.
        anchors.UnionWith(Escapes);
        return new LinePrefilter(
            SearchValues.Create(anchors.ToArray(), StringComparison.Ordinal),
            anchorsIgnoreCase.Count > 0 ? SearchValues.Create(anchorsIgnoreCase.ToArray(), StringComparison.OrdinalIgnoreCase) : null,
            rules);
    }

    private static readonly string[] Escapes = ["\\u", "\\/"];
    private static readonly SearchValues<string> EscapeValues = SearchValues.Create(Escapes, StringComparison.Ordinal);

    /// <summary>A literal's UTF-8 bytes as chars, matching the widened line.</summary>
    private static string Widen(string literal) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(literal));

    [ThreadStatic]
    private static char[]? t_scratch;

    /// <summary>True when no rule can match the line, so it need not be parsed.</summary>
    /// <summary>Lines of the first input read to decide whether the prefilter pays off.</summary>
    internal const int SampleBytes = 1 << 20;

    /// <summary>The prefilter is used when it rules out at least this share of the sampled lines.</summary>
    internal const double MinRuledOut = 0.25;

    /// <summary>
    /// Whether <paramref name="prefilter"/> rules out enough lines to be worth running on every line: decided on the first
    /// <see cref="SampleBytes"/> of <paramref name="input"/> (a regular, uncompressed file; anything else keeps it), so the
    /// same input always gets the same decision. Skipping a line and parsing it find the same alerts either way.
    /// </summary>
    internal static bool PaysOff(LinePrefilter prefilter, string input)
    {
        byte[] sample;
        try
        {
            if (input == "-" || FileIdentity.Of(input) is not { IsRegularFile: true })
            {
                return true;
            }
            using var file = File.OpenRead(input);
            sample = new byte[(int)Math.Min(SampleBytes, file.Length)];
            file.ReadExactly(sample);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
        if (sample.Length >= 2 && sample[0] == 0x1f && sample[1] == 0x8b)
        {
            return true;
        }
        int lines = 0, ruledOut = 0;
        var rest = sample.AsSpan();
        for (var nl = rest.IndexOf((byte)'\n'); nl >= 0; nl = rest.IndexOf((byte)'\n'))
        {
            var line = rest[..nl];
            rest = rest[(nl + 1)..];
            if (line.IsEmpty)
            {
                continue;
            }
            lines++;
            if (prefilter.CannotMatch(line))
            {
                ruledOut++;
            }
        }
        return lines == 0 || ruledOut >= lines * MinRuledOut;
    }

    public bool CannotMatch(ReadOnlySpan<byte> line)
    {
        var scratch = t_scratch ??= new char[8192];
        while (line.Length > 0 && line[^1] is (byte)'\r' or (byte)' ' or (byte)'\t')
        {
            line = line[..^1];
        }
        // Anything but a plain object line goes to the parser, which reports it (blank lines, a BOM, garbage).
        if (line.Length < 2 || line[0] != (byte)'{' || line[^1] != (byte)'}')
        {
            return false;
        }
        if (scratch.Length < line.Length)
        {
            scratch = t_scratch = new char[Math.Max(line.Length, scratch.Length * 2)];
        }
        var chars = scratch.AsSpan(0, Encoding.Latin1.GetChars(line, scratch));
        var hit = chars.IndexOfAny(_anchors) >= 0
            || (_anchorsIgnoreCase is not null && (!Ascii.IsValid(line) || chars.IndexOfAny(_anchorsIgnoreCase) >= 0));
        if (!hit)
        {
            return true;
        }
        if (_rules is null || chars.IndexOfAny(EscapeValues) >= 0)
        {
            return false;
        }
        var ascii = Ascii.IsValid(line);
        foreach (var sets in _rules)
        {
            var all = true;
            foreach (var (values, ignoreCase) in sets)
            {
                // Case-insensitive search is ASCII-exact only: a line with other characters is let through.
                if (!(ignoreCase && !ascii) && chars.IndexOfAny(values) < 0)
                {
                    all = false;
                    break;
                }
            }
            if (all)
            {
                return false;
            }
        }
        return true;
    }
}
