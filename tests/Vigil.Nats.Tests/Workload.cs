using System.Text;
using Vigil.Detection;
using Vigil.Rules;

namespace Vigil.Nats.Tests;

/// <summary>
/// Events made from the bundled samples (13 true positives in 111 lines): each copy gets a field of its own (so every line
/// and every alert id is new) and one of eight variants of its host id (so hosts spread over partitions).
/// </summary>
internal static class Workload
{
    public static string SamplePath
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "samples", "cloud_defend-process.ndjson");
        }
    }

    private static readonly string[] HostIds =
        ["d84e4387d51df0f3ed57927eca1ee40f", "17ac91a565207486876f8c908f7fdc61", "9682d79869e78ba1dfe4decc43b597fd", "ff441e35c324662ca7bd1da29620481b"];

    public static List<string> Lines(int atLeast)
    {
        var sample = File.ReadAllLines(SamplePath).Where(l => l.Length > 0).ToArray();
        var lines = new List<string>(atLeast + sample.Length);
        for (var copy = 0; lines.Count < atLeast; copy++)
        {
            foreach (var line in sample)
            {
                var text = "{\"labels\":{\"vigil_test_copy\":\"" + copy.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"}," + line[1..];
                foreach (var id in HostIds)
                {
                    text = text.Replace($"\"{id}\"", $"\"{id}-{copy % 8}\"", StringComparison.Ordinal);
                }
                lines.Add(text);
            }
        }
        return lines;
    }

    public static string Write(IReadOnlyList<string> lines, string dir)
    {
        var path = Path.Combine(dir, "events.ndjson");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>The alert ids the built-in rules give for these lines, computed here in-process.</summary>
    public static HashSet<string> ExpectedAlertIds(IEnumerable<string> lines)
    {
        var detector = new LiveDetector(BuiltInRules.Load().Rules.Select(r => r.Rule));
        var alerts = new List<Alert>();
        foreach (var line in lines)
        {
            detector.Process(Encoding.UTF8.GetBytes(line), alerts);
        }
        detector.Complete(alerts);
        return alerts.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
    }
}
