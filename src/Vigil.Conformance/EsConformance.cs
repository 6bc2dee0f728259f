using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;
using Vigil.Eql;
using Vigil.Eql.Execution;
using Vigil.Events;

namespace Vigil.Conformance;

/// <summary>Counts of one conformance run.</summary>
public sealed class ConformanceSummary
{
    /// <summary>Cases whose results matched.</summary>
    public int Passed { get; internal set; }

    /// <summary>Cases that failed, including listed deviations about EQL.</summary>
    public int Failed { get; internal set; }

    /// <summary>Cases skipped because a deviation says they test something outside EQL.</summary>
    public int Skipped { get; internal set; }

    /// <summary>Failed cases not listed in the deviations file.</summary>
    public IList<string> UnexpectedFailures { get; } = [];

    /// <summary>Deviations-file entries whose case now passes (the entry should go).</summary>
    public IList<string> StaleDeviations { get; } = [];

    /// <summary>Counts per suite file: (passed, failed, skipped).</summary>
    public IDictionary<string, (int Passed, int Failed, int Skipped)> PerFile { get; } = new SortedDictionary<string, (int, int, int)>(StringComparer.Ordinal);
}

/// <summary>Settings for <see cref="EsConformance.Run"/>.</summary>
public sealed record EsConformanceOptions
{
    /// <summary>Only cases whose name contains this text (for debugging); null runs all.</summary>
    public string? Filter { get; init; }

    /// <summary>Results requested per query when the case gives no <c>size</c>, as Elasticsearch's harness does.</summary>
    public int DefaultSize { get; init; } = 50;

    /// <summary>Deviations text (<c>case name | reason</c> lines); null uses the file shipped in this assembly.</summary>
    public string? Deviations { get; init; }
}

/// <summary>
/// Runs Elasticsearch's EQL query suite (<c>shared/conformance/es</c>) against Vigil: each case's query over its data set,
/// comparing the returned event ids (any one of several acceptable lists) and join keys. Prints one line per failure, then
/// counts per file and a final <c>N passed, N failed</c> line.
/// </summary>
public static class EsConformance
{
    private const string NullKeyMarker = "\u0000null";

    /// <summary>Finds the suite: <c>VIGIL_CONFORMANCE</c> (the folder holding <c>es/</c>, or <c>es/</c> itself), else a <c>shared/conformance/es</c> folder above <paramref name="start"/>.</summary>
    public static string? Locate(string? start = null)
    {
        var env = Environment.GetEnvironmentVariable("VIGIL_CONFORMANCE");
        if (!string.IsNullOrEmpty(env))
        {
            if (File.Exists(Path.Combine(env, "test_queries.toml")))
            {
                return env;
            }
            if (File.Exists(Path.Combine(env, "es", "test_queries.toml")))
            {
                return Path.Combine(env, "es");
            }
        }
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance", "es");
            if (File.Exists(Path.Combine(candidate, "test_queries.toml")))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The deviations file shipped with this assembly.</summary>
    public static string ShippedDeviations()
    {
        using var stream = typeof(EsConformance).Assembly.GetManifestResourceStream("Vigil.Conformance.es-deviations.txt");
        if (stream is null)
        {
            return string.Empty;
        }
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs every suite file found in <paramref name="dir"/> (the <c>es</c> folder) and reports to <paramref name="output"/>.</summary>
    public static ConformanceSummary Run(string dir, TextWriter output, EsConformanceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new EsConformanceOptions();
        var deviations = ParseDeviations(options.Deviations ?? ShippedDeviations());
        var summary = new ConformanceSummary();
        foreach (var suite in EsSuite.All)
        {
            var path = Path.Combine(dir, suite.File);
            if (!File.Exists(path))
            {
                output.WriteLine($"missing suite file {suite.File}; skipped");
                continue;
            }
            var data = EsDataSet.Load(dir, suite);
            int passed = 0, failed = 0, skipped = 0;
            foreach (var c in LoadCases(path))
            {
                if (options.Filter is { } f && !c.Name.Contains(f, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var id = $"{suite.File}:{c.Name}";
                var deviation = deviations.GetValueOrDefault(id) ?? deviations.GetValueOrDefault(c.Name);
                if (deviation is not null && deviation.StartsWith("non-eql:", StringComparison.OrdinalIgnoreCase))
                {
                    skipped++;
                    continue;
                }
                var outcome = RunCase(suite, data, c, options.DefaultSize);
                if (outcome is null)
                {
                    passed++;
                    if (deviation is not null)
                    {
                        summary.StaleDeviations.Add(id);
                    }
                    continue;
                }
                failed++;
                if (deviation is null)
                {
                    summary.UnexpectedFailures.Add(id);
                }
                output.WriteLine($"FAIL {id} | {OneLine(c.Query)} | {outcome}{(deviation is null ? string.Empty : " | known: " + deviation)}");
            }
            summary.PerFile[suite.File] = (passed, failed, skipped);
            summary.Passed += passed;
            summary.Failed += failed;
            summary.Skipped += skipped;
        }
        foreach (var (file, (p, f, s)) in summary.PerFile)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {p} passed, {f} failed{(s > 0 ? $", {s} skipped" : string.Empty)}"));
        }
        foreach (var stale in summary.StaleDeviations)
        {
            output.WriteLine($"note: {stale} passes; remove it from the deviations file");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{summary.Passed} passed, {summary.Failed} failed{(summary.Skipped > 0 ? $", {summary.Skipped} skipped" : string.Empty)}"));
        return summary;
    }

    internal sealed record EsCase(string Name, string Query, List<List<long>> Expected, List<string>? JoinKeys, int? Size, int? MaxSamplesPerKey);

    internal static List<EsCase> LoadCases(string path)
    {
        var text = File.ReadAllText(path);
        // `join_keys = [null]` is not TOML; read such nulls as a marker for a null key.
        text = Regex.Replace(text, @"(?m)^(join_keys\s*=\s*\[)([^\]]*)\]", m =>
            m.Groups[1].Value + Regex.Replace(m.Groups[2].Value, @"(?<!\"")\bnull\b(?!\"")", "\"" + NullKeyMarker.Replace("\u0000", "\\u0000", StringComparison.Ordinal) + "\"") + "]");
        var model = TomlSerializer.Deserialize<TomlTable>(text)!;
        var cases = new List<EsCase>();
        if (!model.TryGetValue("queries", out var q) || q is not TomlTableArray queries)
        {
            return cases;
        }
        foreach (var t in queries)
        {
            var name = (string)t["name"]!;
            var query = (string)t["query"]!;
            var expected = new List<List<long>>();
            var ids = t.TryGetValue("expected_event_ids", out var e) ? e as TomlArray : null;
            if (ids is not null && ids.Count > 0 && ids[0] is TomlArray)
            {
                foreach (var alt in ids)
                {
                    expected.Add(((TomlArray)alt!).Select(x => Convert.ToInt64(x, CultureInfo.InvariantCulture)).ToList());
                }
            }
            else
            {
                expected.Add(ids?.Select(x => Convert.ToInt64(x, CultureInfo.InvariantCulture)).ToList() ?? []);
            }
            List<string>? keys = null;
            if (t.TryGetValue("join_keys", out var k) && k is TomlArray keyArray)
            {
                keys = keyArray.Select(x => x is string s && s == NullKeyMarker ? "null" : Convert.ToString(x, CultureInfo.InvariantCulture) ?? "null").ToList();
            }
            int? size = t.TryGetValue("size", out var sz) ? Convert.ToInt32(sz, CultureInfo.InvariantCulture) : null;
            int? perKey = t.TryGetValue("max_samples_per_key", out var mk) ? Convert.ToInt32(mk, CultureInfo.InvariantCulture) : null;
            cases.Add(new EsCase(name, query, expected, keys, size, perKey));
        }
        return cases;
    }

    /// <summary>Runs one case; null when it passes, else what differed.</summary>
    private static string? RunCase(EsSuite suite, EsDataSet data, EsCase c, int defaultSize)
    {
        var table = new FieldTable();
        CompiledQuery query;
        try
        {
            query = Eql.Eql.Compile(c.Query, new EqlOptions { TiebreakerField = suite.Tiebreaker, FieldTypes = data.FieldTypes }, table);
        }
        catch (EqlException ex)
        {
            return $"query does not compile: {ex.Diagnostic}";
        }
        var idField = table.Get(suite.IdField);
        var orderer = EventOrderer.For<EventRecord>(query);
        var projection = new FieldProjection(table);
        var events = data.Events.Select((bytes, i) => EventRecord.FromJson(bytes, projection, suite.File, i + 1));
        var runner = new EqlRunner(query, new EqlRunOptions { Size = c.Size ?? defaultSize, MaxSamplesPerKey = c.MaxSamplesPerKey ?? 1 });
        List<long> ids = [];
        List<string> keys = [];
        try
        {
            foreach (var result in runner.Run(orderer.Sort(events)))
            {
                foreach (var ev in result.Events)
                {
                    ids.Add(ev is null ? -1 : Id(ev.Get(idField)));
                }
                foreach (var key in result.JoinKeys)
                {
                    keys.Add(Render(key));
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"threw {ex.GetType().Name}: {ex.Message}";
        }
        var idsMatch = c.Expected.Any(alt => alt.SequenceEqual(ids));
        var keysMatch = c.JoinKeys is null || c.JoinKeys.Count == 0 || KeysEqual(c.JoinKeys, keys);
        if (idsMatch && keysMatch)
        {
            return null;
        }
        var expected = c.Expected.Count == 1 ? Ids(c.Expected[0]) : "one of " + string.Join(" or ", c.Expected.Select(Ids));
        var sb = new StringBuilder();
        sb.Append("expected ").Append(expected).Append(" actual ").Append(Ids(ids));
        if (!keysMatch)
        {
            sb.Append(" | expected keys [").Append(string.Join(", ", c.JoinKeys!)).Append("] actual keys [").Append(string.Join(", ", keys)).Append(']');
        }
        return sb.ToString();
    }

    private static bool KeysEqual(List<string> expected, List<string> actual)
    {
        if (expected.Count != actual.Count)
        {
            return false;
        }
        for (var i = 0; i < expected.Count; i++)
        {
            if (expected[i] == actual[i])
            {
                continue;
            }
            // Elasticsearch shows a date key as epoch milliseconds in samples (composite aggregation keys) and as the stored
            // string in sequences; compare dates as instants.
            if (long.TryParse(expected[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) && EqlTime.TryParse(actual[i], out var nanos)
                && !long.TryParse(actual[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) && nanos == ms * 1_000_000)
            {
                continue;
            }
            return false;
        }
        return true;
    }

    private static long Id(EqlValue v) => v.Kind switch
    {
        EqlValueKind.Long => v.AsLong,
        EqlValueKind.Double => (long)v.AsDouble,
        EqlValueKind.String when long.TryParse(v.AsString, CultureInfo.InvariantCulture, out var l) => l,
        _ => long.MinValue,
    };

    private static string Render(EqlValue v) => v.Kind switch
    {
        EqlValueKind.Null => "null",
        EqlValueKind.Double when v.AsDouble == Math.Floor(v.AsDouble) && Math.Abs(v.AsDouble) < 1e15 => ((long)v.AsDouble).ToString(CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };

    private static string Ids(List<long> ids) => "[" + string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string OneLine(string query) => Regex.Replace(query.Trim(), @"\s+", " ");

    private static Dictionary<string, string> ParseDeviations(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var bar = line.IndexOf('|', StringComparison.Ordinal);
            var name = (bar < 0 ? line : line[..bar]).Trim();
            var reason = bar < 0 ? string.Empty : line[(bar + 1)..].Trim();
            result[name] = reason;
        }
        return result;
    }
}
