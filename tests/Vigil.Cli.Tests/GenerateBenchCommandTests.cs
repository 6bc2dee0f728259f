using System.Text.Json;

namespace Vigil.Cli.Tests;

public sealed class GenerateBenchCommandTests
{
    [Fact]
    public void Generate_SameSeed_SameBytes_DifferentSeed_DifferentBytes()
    {
        var dir = CliRunner.TempDir();
        try
        {
            string Gen(string name, string seed)
            {
                var path = Path.Combine(dir, name);
                var r = CliRunner.Run("generate", "--events", "2000", "--seed", seed, "--out", path);
                Assert.Equal(0, r.ExitCode);
                return path;
            }
            var a = File.ReadAllBytes(Gen("a.ndjson", "5"));
            var b = File.ReadAllBytes(Gen("b.ndjson", "5"));
            var c = File.ReadAllBytes(Gen("c.ndjson", "6"));
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Generate_WritesCloudDefendDocumentsThatTheBuiltInRuleAlertsOn()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var path = Path.Combine(dir, "events.ndjson");
            Assert.Equal(0, CliRunner.Run("generate", "--events", "20000", "--seed", "1", "--out", path).ExitCode);
            var lines = File.ReadAllLines(path);
            Assert.Equal(20000, lines.Length);
            var datasets = new HashSet<string>();
            foreach (var line in lines.Take(500))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                datasets.Add(root.GetProperty("data_stream").GetProperty("dataset").GetString()!);
                Assert.Equal("cloud_defend", root.GetProperty("event").GetProperty("module").GetString());
                Assert.True(root.TryGetProperty("container", out _));
            }
            Assert.Equal(["cloud_defend.file", "cloud_defend.process"], datasets.Order());
            Assert.InRange(lines.Average(l => l.Length), 1000, 3000);
            var scan = CliRunner.Run("scan", "--format", "ndjson", "--out", Path.Combine(dir, "alerts.ndjson"), path);
            Assert.Equal(0, scan.ExitCode);
            var alerts = File.ReadAllLines(Path.Combine(dir, "alerts.ndjson"));
            // A small fraction of true positives: some, but far from every event.
            Assert.InRange(alerts.Length, 1, 200);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bench_BuiltInRule_ReportsThroughputAlertsAndBaselines()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var path = Path.Combine(dir, "events.ndjson");
            Assert.Equal(0, CliRunner.Run("generate", "--events", "3000", "--seed", "2", "--out", path).ExitCode);
            var r = CliRunner.Run("bench", "--input", path, "--sets", "a", "--corpus", Path.Combine(dir, "no-corpus"));
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("raw read (no parsing)", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("bare Utf8JsonReader", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("(a) built-in rule", r.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("(b)", r.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
