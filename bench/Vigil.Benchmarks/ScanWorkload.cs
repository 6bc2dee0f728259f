using System.Text;
using Vigil.Detection;
using Vigil.Rules;

namespace Vigil.Benchmarks;

/// <summary>
/// A realistic scan input: the bundled sample events repeated with fresh ids until the requested count, as one NDJSON
/// buffer in memory (so the figures measure parsing and detection, not the disk).
/// </summary>
internal static class ScanWorkload
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
    }

    public static byte[] Build(int events)
    {
        var ms = new MemoryStream();
        Write(ms, events);
        return ms.ToArray();
    }

    /// <summary>Streams <paramref name="events"/> lines to <paramref name="output"/>.</summary>
    public static void Write(Stream output, int events)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), "samples", "cloud_defend-process.ndjson"));
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        for (var i = 0; i < events; i++)
        {
            // Vary the event id so that every line is a distinct event (and alert).
            writer.Write(lines[i % lines.Length].Replace("\"ev-", $"\"b{i}-ev-", StringComparison.Ordinal));
            writer.Write('\n');
        }
    }

    public static IReadOnlyList<DetectionRule> BuiltInRules() => Vigil.Rules.BuiltInRules.Load().Rules.Select(r => r.Rule).ToList();

    /// <summary>Every EQL event rule of a rules directory (for example Elastic's public corpus), to measure routing at scale.</summary>
    public static IReadOnlyList<DetectionRule> RulesFrom(string path) => RuleLoader.Load(path).Rules.Select(r => r.Rule).ToList();

    public sealed class CountingSink : IAlertSink
    {
        public long Count { get; private set; }

        public void Write(Alert alert) => Count++;

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
