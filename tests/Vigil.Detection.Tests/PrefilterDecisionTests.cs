using System.Text.Json.Nodes;

namespace Vigil.Detection.Tests;

/// <summary>The literal prefilter runs only when, on the first input's first lines, it rules out enough of them to pay.</summary>
public sealed class PrefilterDecisionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vigil-prefilter-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary><paramref name="total"/> events, of which <paramref name="withLiteral"/> carry the rule's literal.</summary>
    private string Input(int total, int withLiteral)
    {
        var path = Path.Combine(_dir, $"{total}-{withLiteral}.ndjson");
        File.WriteAllLines(path, Enumerable.Range(0, total).Select(i =>
            DetectionTestKit.Event($"e{i}", DetectionTestKit.T0.AddSeconds(i), more: new JsonObject { ["process.title"] = i < withLiteral ? "zq-marker" : "other" })));
        return path;
    }

    private static ScanSummary Scan(string path, bool prefilter = true) =>
        new ScanJob([DetectionTestKit.Rule("process where process.title == \"zq-marker\" and event.id == \"e0\"")])
            .Run([path], new DetectionTestKit.ListSink(), e => throw new InvalidOperationException(e.Render()), new ScanOptions
            {
                DefaultIndex = "logs-x",
                Optimizations = new ScanOptimizations { LiteralPrefilter = prefilter },
            });

    [Fact]
    public void MostLinesRuledOut_ThePrefilterRuns()
    {
        var summary = Scan(Input(200, 20));
        Assert.Equal(180, summary.UncheckedLines);
        Assert.Equal(1, summary.Alerts);
    }

    [Fact]
    public void FewLinesRuledOut_EveryLineIsParsed_WithTheSameAlerts()
    {
        var path = Input(200, 180);
        var summary = Scan(path);
        Assert.Equal(0, summary.UncheckedLines);
        Assert.Equal(Scan(path, prefilter: false) with { }, summary);
        Assert.Equal(1, summary.Alerts);
    }

    [Fact]
    public void TheDecisionFollowsTheFirstInput()
    {
        var few = Input(200, 180);
        var most = Input(100, 0);
        var summary = new ScanJob([DetectionTestKit.Rule("process where process.title == \"zq-marker\"")])
            .Run([most, few], new DetectionTestKit.ListSink(), _ => { }, new ScanOptions { DefaultIndex = "logs-x" });
        // The first input is all ruled out, so the prefilter runs over both: 100 + 20 lines skipped.
        Assert.Equal(120, summary.UncheckedLines);
        Assert.Equal(180, summary.Alerts);
    }
}
