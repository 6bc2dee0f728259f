using System.Text;
using Vigil.Events.Generation;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

public sealed class ScanProgressTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vigil-progress-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Generate(string name, int events)
    {
        var path = Path.Combine(_dir, name);
        using (var file = File.Create(path))
        {
            new EventGenerator(7).Write(file, events);
        }
        return path;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Progress_GrowsToEachInputsSize_AndEndsWithTheSummaryCounts(bool fast)
    {
        // Several 1 MiB blocks per input, so that the fast path reports more than once.
        var first = Generate("a.ndjson", 2_000);
        // The sample's alerts show in the counts.
        var second = Path.Combine(_dir, "sample.ndjson");
        File.Copy(DetectionTestKit.SamplePath, second);
        var reports = new List<ScanProgress>();
        var sink = new DetectionTestKit.ListSink();
        var summary = new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule)).Run([first, second], sink, e => throw new InvalidOperationException(e.Render()), new ScanOptions
        {
            Progress = reports.Add,
            ProgressInterval = TimeSpan.Zero,
            Optimizations = fast ? new ScanOptimizations() : ScanOptimizations.None,
        });

        foreach (var (input, size) in new[] { (first, new FileInfo(first).Length), (second, new FileInfo(second).Length) })
        {
            var mine = reports.Where(r => r.Input == input).ToList();
            Assert.True(mine.Count >= 2, $"{mine.Count} reports for {input}");
            Assert.All(mine, r => Assert.Equal(size, r.InputBytes));
            Assert.Equal(mine.Select(r => r.BytesRead).Order(), mine.Select(r => r.BytesRead));
            Assert.True(mine[^1].Done);
            Assert.Equal(size, mine[^1].BytesRead);
            Assert.Single(mine, r => r.Done);
        }
        Assert.Equal(reports.Select(r => r.EventsRead).Order(), reports.Select(r => r.EventsRead));
        Assert.Equal(summary.EventsRead, reports[^1].EventsRead);
        Assert.Equal(summary.Alerts, reports[^1].Alerts);
        Assert.True(reports[^1].Alerts > 0);
    }

    [Fact]
    public void Progress_OfCompressedOrPipedInput_HasNoKnownSize()
    {
        var plain = Generate("c.ndjson", 50);
        var gz = plain + ".gz";
        using (var output = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
        {
            output.Write(File.ReadAllBytes(plain));
        }
        var reports = new List<ScanProgress>();
        new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule)).Run([gz], new DetectionTestKit.ListSink(), _ => { }, new ScanOptions { Progress = reports.Add });
        var done = Assert.Single(reports);
        Assert.True(done.Done);
        Assert.Null(done.InputBytes);
        // Uncompressed bytes: how much of the events has been read.
        Assert.Equal(new FileInfo(plain).Length, done.BytesRead);
        Assert.Equal(50, done.EventsRead);
    }

    [Fact]
    public void Progress_IsThrottled_ButEveryInputStillGetsItsFinalReport()
    {
        var path = Generate("d.ndjson", 2_000);
        var reports = new List<ScanProgress>();
        new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule)).Run([path], new DetectionTestKit.ListSink(), _ => { }, new ScanOptions
        {
            Progress = reports.Add,
            ProgressInterval = TimeSpan.FromHours(1),
        });
        var only = Assert.Single(reports);
        Assert.True(only.Done);
        Assert.Equal(new FileInfo(path).Length, only.BytesRead);
    }
}
