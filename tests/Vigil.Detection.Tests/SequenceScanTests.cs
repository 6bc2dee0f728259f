using System.Text;
using System.Text.Json.Nodes;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection.Tests;

public sealed class SequenceScanTests
{
    private static readonly string RuleToml = DetectionTestKit.ForkThenPackageManagerToml();

    private static string Sample => DetectionTestKit.SamplePath;

    private static (ScanSummary Summary, List<Alert> Alerts) Scan(string input, ScanOptions? options = null)
    {
        var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule);
        var job = new ScanJob(rules);
        var sink = new ListSink();
        var summary = job.Run([input], sink, e => throw new InvalidOperationException(e.Render()), options ?? new ScanOptions());
        return (summary, sink.Alerts);
    }

    /// <summary>The pairs the rule must find, computed directly from the sample (process data stream only): an exec of a package manager whose fork (same entity id) came at most 30 s before.</summary>
    private static List<(string Fork, string Exec)> ExpectedPairs()
    {
        var events = File.ReadAllLines(Sample).Select(l => Flat(JsonNode.Parse(l)!.AsObject()))
            .Where(e => e.GetValueOrDefault("data_stream.dataset") == "cloud_defend.process")
            .ToList();
        var pairs = new List<(string, string)>();
        foreach (var exec in events.Where(e => e.GetValueOrDefault("event.action") == "exec" && e.GetValueOrDefault("process.name") is "apt-get" or "apt" or "apk" or "dnf" or "yum"))
        {
            var t = DateTimeOffset.Parse(exec["@timestamp"], System.Globalization.CultureInfo.InvariantCulture);
            var fork = events.Where(e => e.GetValueOrDefault("event.action") == "fork" && e.GetValueOrDefault("process.entity_id") == exec.GetValueOrDefault("process.entity_id"))
                .Where(e => DateTimeOffset.Parse(e["@timestamp"], System.Globalization.CultureInfo.InvariantCulture) is var ft && ft <= t && t - ft <= TimeSpan.FromSeconds(30))
                .LastOrDefault();
            if (fork is not null)
            {
                pairs.Add((fork["event.id"], exec["event.id"]));
            }
        }
        return pairs;
    }

    private static Dictionary<string, string> Flat(JsonObject o, string prefix = "", Dictionary<string, string>? into = null)
    {
        into ??= new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in o)
        {
            var path = prefix.Length == 0 ? k : prefix + "." + k;
            if (v is JsonObject child)
            {
                Flat(child, path, into);
            }
            else if (v is JsonValue value)
            {
                into[path] = value.ToString();
            }
        }
        return into;
    }

    [Fact]
    public void Scan_SequenceRule_EmitsShellAndBuildingBlocksPerSequence()
    {
        var expected = ExpectedPairs();
        Assert.NotEmpty(expected);
        var (summary, alerts) = Scan(Sample);
        Assert.Equal(expected.Count, summary.Sequences);
        Assert.Equal(expected.Count * 3, alerts.Count);
        var shells = alerts.Where(a => a.Document["kibana.alert.depth"]!.GetValue<int>() == 2).ToList();
        Assert.Equal(expected.Count, shells.Count);
        foreach (var shell in shells)
        {
            var groupId = shell.Id;
            var blocks = alerts.Where(a => a.Document["kibana.alert.group.id"]?.GetValue<string>() == groupId && a.Id != groupId)
                .OrderBy(a => a.Document["kibana.alert.group.index"]!.GetValue<int>()).ToList();
            Assert.Equal(2, blocks.Count);
            Assert.All(blocks, b => Assert.Equal("default", b.Document["kibana.alert.building_block_type"]!.GetValue<string>()));
            var pair = (blocks[0].Document["kibana.alert.original_event.id"]!.GetValue<string>(), blocks[1].Document["kibana.alert.original_event.id"]!.GetValue<string>());
            Assert.Contains(pair, expected);
            Assert.Equal(4, shell.Document["kibana.alert.ancestors"]!.AsArray().Count);
            // The shell keeps only what both events share: same entity, different actions.
            Assert.Equal(blocks[0].Field("process.entity_id"), shell.Field("process.entity_id"));
            Assert.NotNull(shell.Field("process.entity_id"));
            Assert.Null(shell.Field("event.action"));
            Assert.False(shell.Document.ContainsKey("kibana.alert.building_block_type"));
        }
    }

    [Fact]
    public void Scan_OutOfOrderInput_SpillingToDisk_GivesTheSameSequences()
    {
        var lines = File.ReadAllLines(Sample);
        var shuffled = lines.OrderBy(l => l.GetHashCode(StringComparison.Ordinal) ^ 0x5A5A).ToArray();
        Assert.NotEqual(lines, shuffled);
        var path = Path.Combine(Path.GetTempPath(), $"vigil-shuffled-{Guid.NewGuid():N}.ndjson");
        File.WriteAllLines(path, shuffled);
        try
        {
            var (inOrder, inOrderAlerts) = Scan(Sample);
            var (outOfOrder, outOfOrderAlerts) = Scan(path, new ScanOptions { MaxEventsInMemory = 4 });
            Assert.True(outOfOrder.SpilledEvents > 0);
            Assert.Equal(inOrder.Sequences, outOfOrder.Sequences);
            Assert.Equal(inOrderAlerts.Select(a => a.Id).Order(), outOfOrderAlerts.Select(a => a.Id).Order());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SequenceAlertIds_MatchKibanaTestVectors()
    {
        var rule = RuleLoader.LoadString(RuleToml, "r.toml").Rules.Single().Rule;
        var engine = new DetectionEngine([rule]);
        var active = engine.SequenceRules.Single();
        var e1 = EventRecord.FromJson("""{"_id":"ev-1","_index":".ds-logs-cloud_defend.process-default-2026.08.21-000001","@timestamp":"2026-08-21T10:00:00Z","event":{"category":"process","action":"fork"},"process":{"entity_id":"x"}}"""u8, engine.Projection);
        var e2 = EventRecord.FromJson("""{"_id":"ev-2","_index":".ds-logs-cloud_defend.file-default-2026.08.21-000001","@timestamp":"2026-08-21T10:00:01Z","event":{"category":"process","action":"exec"},"process":{"entity_id":"x","name":"apt"}}"""u8, engine.Projection);
        var alerts = AlertBuilder.BuildSequence(new ActiveRuleForTest(active, "5f3c1a2e-0000-4000-8000-000000000001").Rule, [(e1, engine.ResolveIndex(e1)), (e2, engine.ResolveIndex(e2))], engine.Options, RuleExecution.Start(TimeProvider.System, "manual"));
        Assert.Equal("3be38f589cbafd7aa5a61d7d5cc01be4c2ce5b3ed5aa80aee0af878c5f70600d", alerts[0].Id);
        Assert.Equal("14afae5d890119036b55bb2b0666d3413a3370cfc4e30c2a8fdfd9bb95fecae9", alerts[1].Id);
        Assert.Equal("4b50da24744e3041360afc4918c5f4fcce1ca648b245537807ae1cacfd2bde9f", alerts[2].Id);
    }

    [Fact]
    public void Scan_SequenceEventsKeptByReference_CrlfAndBomLinesSpilled_GiveTheAlertsCopiesGive()
    {
        var lines = File.ReadAllLines(Sample);
        var shuffled = lines.OrderBy(l => l.GetHashCode(StringComparison.Ordinal) ^ 0x3C3C).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"vigil-crlf-{Guid.NewGuid():N}.ndjson");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(string.Join("\r\n", shuffled) + "\r\n")]);
        try
        {
            string[] Documents(bool byReference)
            {
                var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule);
                var job = new ScanJob(rules, new DetectionOptions { Time = new FixedTime() });
                var sink = new ListSink();
                var summary = job.Run([path], sink, e => throw new InvalidOperationException(e.Render()), new ScanOptions
                {
                    MaxEventsInMemory = 4,
                    Optimizations = new ScanOptimizations { LinesByReference = byReference },
                });
                Assert.True(summary.SpilledEvents > 0);
                return [.. sink.Alerts.Select(a =>
                {
                    var doc = (JsonObject)a.Document.DeepClone();
                    doc.Remove("kibana.alert.rule.execution.uuid");
                    return a.Id + " " + doc.ToJsonString();
                })];
            }
            var copies = Documents(byReference: false);
            Assert.NotEmpty(copies);
            Assert.Equal(copies, Documents(byReference: true));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Scan_InputChangedBeforeSequenceAlertsAreBuilt_FailsInsteadOfReportingOtherBytes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vigil-changed-{Guid.NewGuid():N}.ndjson");
        var text = File.ReadAllText(Sample).TrimEnd('\n') + "\nnot json\n";
        File.WriteAllText(path, text);
        try
        {
            var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule);
            var job = new ScanJob(rules);
            // The bad line is reported while the input is read, before any sequence is complete: rewrite the file then,
            // same length, other bytes.
            void Change(InputError _) => File.WriteAllText(path, text.Replace("\"fork\"", "\"frok\"", StringComparison.Ordinal));
            var error = Assert.Throws<IOException>(() => job.Run([path], new ListSink(), Change, new ScanOptions()));
            Assert.Contains("changed during the scan", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("rotated")]
    [InlineData("deleted")]
    public void Scan_InputRotatedOrDeletedAfterItWasRead_StillGivesItsSequences(string change)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-rotate-").FullName;
        try
        {
            var path = Path.Combine(dir, "events.ndjson");
            File.WriteAllText(path, File.ReadAllText(Sample));
            var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule).ToList();
            var expected = new ListSink();
            new ScanJob(rules, new DetectionOptions { Time = new FixedTime() }).Run([path], expected, e => throw new InvalidOperationException(e.Render()), new ScanOptions());
            Assert.NotEmpty(expected.Alerts);

            // A second input whose bad line is reported after the first input was read: rotate or delete the first then.
            var second = Path.Combine(dir, "later.ndjson");
            File.WriteAllText(second, "not json\n");
            var rotated = false;
            void Change(InputError _)
            {
                if (change == "rotated")
                {
                    File.Move(path, path + ".1");
                    File.WriteAllText(path, "{}\n");
                }
                else
                {
                    File.Delete(path);
                }
                rotated = true;
            }
            var sink = new ListSink();
            new ScanJob(rules, new DetectionOptions { Time = new FixedTime() }).Run([path, second], sink, Change, new ScanOptions());
            Assert.True(rotated);
            Assert.Equal(expected.Alerts.Select(a => a.Id), sink.Alerts.Select(a => a.Id));
            static string Document(Alert a)
            {
                var doc = (JsonObject)a.Document.DeepClone();
                doc.Remove("kibana.alert.rule.execution.uuid");
                return doc.ToJsonString();
            }
            Assert.Equal(expected.Alerts.Select(Document), sink.Alerts.Select(Document));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Scan_InOrder_LeavesNoScratchFileBehind_AndWorksWithoutATemporaryDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-scratch-").FullName;
        try
        {
            var sorted = Path.Combine(dir, "sorted.ndjson");
            File.WriteAllLines(sorted, [.. File.ReadAllLines(Sample)
                .OrderBy(l => DateTimeOffset.Parse(JsonNode.Parse(l)!["@timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))]);
            var bad = Path.Combine(dir, "bad.ndjson");
            File.WriteAllText(bad, "not json\n");
            var scratch = Directory.CreateDirectory(Path.Combine(dir, "scratch")).FullName;
            string[]? during = null;
            List<Alert> Run(string temp, Action<InputError> onError)
            {
                var sink = new ListSink();
                var job = new ScanJob(RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule), new DetectionOptions { Time = new FixedTime() });
                var summary = job.Run([sorted, bad], sink, onError, new ScanOptions { TempDirectory = temp });
                Assert.Equal(0, summary.SpilledEvents);
                Assert.True(summary.Sequences > 0);
                return sink.Alerts;
            }
            // The second input's bad line is reported while the first input's references are kept: the scratch file exists, unnamed.
            var withScratch = Run(scratch, _ => during = Directory.GetFiles(scratch));
            Assert.NotNull(during);
            Assert.Empty(during);
            Assert.Empty(Directory.GetFiles(scratch));
            var without = Run(Path.Combine(dir, "missing"), _ => { });
            Assert.Equal(withScratch.Select(a => a.Id), without.Select(a => a.Id));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Scan_SpillingToAMissingTemporaryDirectory_FailsNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"vigil-missing-{Guid.NewGuid():N}");
        var shuffled = Path.Combine(Path.GetTempPath(), $"vigil-shuffled-{Guid.NewGuid():N}.ndjson");
        File.WriteAllLines(shuffled, File.ReadAllLines(Sample).Reverse());
        try
        {
            var error = Assert.Throws<IOException>(() => Scan(shuffled, new ScanOptions { TempDirectory = missing, MaxEventsInMemory = 4 }));
            Assert.Contains($"cannot spill events for ordering to {missing}", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(shuffled);
        }
    }

    [Fact]
    public void Scan_ManyInputs_HoldsABoundedNumberOfThemOpen_AndFindsEverySequence()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-many-").FullName;
        try
        {
            var lines = File.ReadAllLines(Sample);
            var inputs = new List<string>();
            for (var i = 0; i < NdjsonReader.MaxRawFiles + 36; i++)
            {
                var path = Path.Combine(dir, $"f{i:D3}.ndjson");
                // Each input its own events and processes, so that every input's sequences are its own.
                File.WriteAllLines(path, lines.Select(l => l.Replace("\"ev-", $"\"ev-{i}-", StringComparison.Ordinal).Replace("\"entity_id\":\"", $"\"entity_id\":\"{i}-", StringComparison.Ordinal)));
                inputs.Add(path);
            }
            var last = Path.Combine(dir, "last.ndjson");
            File.WriteAllText(last, "not json\n");
            inputs.Add(last);
            var open = -1;
            // When the last input's bad line is reported, every other input has been read: count the files still open.
            void Count(InputError _) => open = Directory.GetFiles("/proc/self/fd").Count(fd =>
                new FileInfo(fd).LinkTarget is { } target && target.StartsWith(dir, StringComparison.Ordinal));
            var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule);
            var summary = new ScanJob(rules).Run(inputs, new ListSink(), Count, new ScanOptions());
            Assert.InRange(open, 1, NdjsonReader.MaxRawFiles + 1);
            // Without sequence rules nothing points into the inputs: none is held open beyond the one being read.
            new ScanJob(BuiltInRules.Load().Rules.Select(r => r.Rule)).Run(inputs, new ListSink(), Count, new ScanOptions());
            Assert.InRange(open, 0, 1);
            // Inputs past the ones held open keep copies of their lines: the plain evaluator agrees on everything.
            var plain = new ScanJob(RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule)).Run(inputs, new ListSink(), _ => { }, new ScanOptions { Optimizations = ScanOptimizations.None });
            Assert.Equal(plain, summary);
            var (single, _) = Scan(Sample);
            Assert.True(summary.Sequences > single.Sequences * NdjsonReader.MaxRawFiles, $"{summary.Sequences} sequences");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scan_InOrderSequences_SortedInputIsNotSpilled_OutOfOrderInputStartsAgain_SameAlertsEitherWay(bool sorted)
    {
        var lines = File.ReadAllLines(Sample)
            .OrderBy(l => DateTimeOffset.Parse(JsonNode.Parse(l)!["@timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        if (!sorted)
        {
            // Two sorted halves, the later first: in order until the second half starts.
            lines = [.. lines[(lines.Length / 2)..], .. lines[..(lines.Length / 2)]];
        }
        var path = Path.Combine(Path.GetTempPath(), $"vigil-inorder-{Guid.NewGuid():N}.ndjson");
        File.WriteAllLines(path, lines);
        try
        {
            (string[] Alerts, ScanSummary Summary, long Replayed) Run(bool inOrder)
            {
                var rules = RuleLoader.LoadString(RuleToml, "fork_then_pm.toml").Rules.Select(r => r.Rule);
                var job = new ScanJob(rules, new DetectionOptions { Time = new FixedTime() });
                var sink = new ListSink();
                var summary = job.Run([path], sink, e => throw new InvalidOperationException(e.Render()), new ScanOptions
                {
                    MaxEventsInMemory = 4,
                    Optimizations = new ScanOptimizations { InOrderSequences = inOrder },
                });
                return ([.. sink.Alerts.Select(a =>
                {
                    var doc = (JsonObject)a.Document.DeepClone();
                    doc.Remove("kibana.alert.rule.execution.uuid");
                    return a.Id + " " + doc.ToJsonString();
                })], summary, job.ReplayedEvents);
            }
            var plain = Run(inOrder: false);
            var fast = Run(inOrder: true);
            Assert.NotEmpty(plain.Alerts);
            Assert.Equal(plain.Alerts, fast.Alerts);
            Assert.True(plain.Summary.SpilledEvents > 0);
            if (sorted)
            {
                Assert.Equal(0, fast.Summary.SpilledEvents);
                Assert.Equal(0, fast.Replayed);
                Assert.Equal(plain.Summary, fast.Summary with { SpilledEvents = plain.Summary.SpilledEvents });
            }
            else
            {
                Assert.True(fast.Replayed > 0);
                Assert.Equal(plain.Summary, fast.Summary);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Scan_TiebreakerField_EqualTimesOrderedByIt_EvenWhenTheInputLooksInOrder()
    {
        var toml = RuleToml.Replace("type = \"eql\"", "type = \"eql\"\ntiebreaker_field = \"event.id\"", StringComparison.Ordinal);
        static string Event(string id, string action, string name) =>
            $$$"""{"@timestamp":"2026-11-20T16:02:04.000Z","event":{"id":"{{{id}}}","category":["process"],"action":"{{{action}}}"},"data_stream":{"type":"logs","dataset":"cloud_defend.process","namespace":"default"},"process":{"entity_id":"E1","name":"{{{name}}}"}}""";
        var path = Path.Combine(Path.GetTempPath(), $"vigil-tiebreaker-{Guid.NewGuid():N}.ndjson");
        // Same time: the exec arrives first, but its tiebreaker puts it after the fork.
        File.WriteAllLines(path, [Event("b", "exec", "apt-get"), Event("a", "fork", "sh")]);
        try
        {
            foreach (var optimizations in new[] { ScanOptimizations.None, new ScanOptimizations() })
            {
                var job = new ScanJob(RuleLoader.LoadString(toml, "tb.toml").Rules.Select(r => r.Rule));
                var summary = job.Run([path], new ListSink(), e => throw new InvalidOperationException(e.Render()), new ScanOptions { Optimizations = optimizations });
                Assert.Equal(1, summary.Sequences);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
    }

    private sealed class ActiveRuleForTest(ActiveRule source, string uuid)
    {
        public ActiveRule Rule { get; } = ActiveRule.WithUuid(source, uuid);
    }

    private sealed class ListSink : IAlertSink
    {
        public List<Alert> Alerts { get; } = [];

        public void Write(Alert alert) => Alerts.Add(alert);

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
