using System.Diagnostics;
using Vigil.Detection;
using Vigil.Detection.Benchmarking;
namespace Vigil.Benchmarks;
internal static class Stages
{
    public static int Run(string path, string corpus, string set)
    {
        var opts = new ScanBenchmarkOptions { CorpusPath = corpus };
        var sets = ScanBenchmark.RuleSets(opts).ToList();
        var rules = sets.First(s => s.Name.StartsWith("(" + set)).Load();
        bool IsSeq(Vigil.Rules.DetectionRule r) { var q = (r.Query ?? "").TrimStart().ToLowerInvariant(); return q.StartsWith("sequence") || q.StartsWith("sample"); }
        var size = new FileInfo(path).Length / 1e6;
        var only = Environment.GetEnvironmentVariable("STAGE"); var reps = int.Parse(Environment.GetEnvironmentVariable("REPEAT") ?? "1");
        foreach (var (name, subset) in new[] { ("all", rules), ("events only", rules.Where(r => !IsSeq(r)).ToList()), ("sequences only", rules.Where(IsSeq).ToList()) }.Where(x => only is null || x.Item1.StartsWith(only)).SelectMany(x => Enumerable.Repeat(x, reps)))
        {
            for (var par = int.Parse(Environment.GetEnvironmentVariable("PAR") ?? "1"); par <= 2; par++)
            {
                var job = new ScanJob(subset);
                var sink = new NdjsonAlertSink(Stream.Null, false);
                var sw = Stopwatch.StartNew();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (g0, g1, g2, pause, alloc) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
                var s = job.Run([path], sink, _ => { }, new ScanOptions { Optimizations = new ScanOptimizations { Parallelism = par, LiteralPrefilter = Environment.GetEnvironmentVariable("NOPREFILTER") != "1" } });
                Console.WriteLine($"{name,-16} par {par}: {job.Engine.Rules.Count}+{job.Engine.SequenceRules.Count} rules {size / sw.Elapsed.TotalSeconds,6:F0} MB/s wall, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s, alerts {s.Alerts}, spilled {s.SpilledEvents}; gc {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} pause {(GC.GetTotalPauseDuration() - pause).TotalSeconds:F2} s, allocated {(GC.GetTotalAllocatedBytes() - alloc) / 1e6:F0} MB");
            }
        }
        return 0;
    }
}
internal static class LiteralStats
{
    public static int Run(string path, string corpus, string set)
    {
        var opts = new ScanBenchmarkOptions { CorpusPath = corpus };
        var rules = ScanBenchmark.RuleSets(opts).First(s => s.Name.StartsWith("(" + set)).Load();
        var engine = new DetectionEngine(rules);
        var lines = File.ReadLines(path).Take(20000).ToList();
        var all = engine.Rules.Concat(engine.SequenceRules).ToList();
        var anyPass = new bool[lines.Count];
        foreach (var r in all)
        {
            var q = r.Query;
            var sets = q.RequiredLiterals.Select(s => System.Buffers.SearchValues.Create(s.Values.ToArray(), s.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)).ToArray();
            var pass = 0;
            for (var i = 0; i < lines.Count; i++)
            {
                if (sets.All(s => lines[i].AsSpan().IndexOfAny(s) >= 0)) { pass++; anyPass[i] = true; }
            }
            Console.WriteLine($"{pass * 100.0 / lines.Count,6:F1}% sets {q.RequiredLiterals.Count} {(q.IsEventQuery ? "E" : "S")} values[{string.Join(" ; ", q.RequiredValues.Select(v => string.Join("|", v.AnyOf.Select(a => a.Field.Path + "=" + a.Values.Count))))}] {r.Rule.Name}  [{string.Join(" | ", q.RequiredLiterals.Select(s => string.Join(",", s.Values.Take(4))))}]");
        }
        Console.WriteLine($"lines passing some rule: {anyPass.Count(x => x) * 100.0 / lines.Count:F1}%");
        return 0;
    }
}
internal static class MemoryStats
{
    public static int Run(string corpus, string set)
    {
        static string Now() { GC.Collect(2, GCCollectionMode.Forced, true, true); return $"heap {GC.GetTotalMemory(true) / 1048576.0:F0} MiB, rss {Environment.WorkingSet / 1048576.0:F0} MiB, peak {ScanBenchmark.PeakRss() / 1048576.0:F0} MiB"; }
        Console.WriteLine("start: " + Now());
        var opts = new ScanBenchmarkOptions { CorpusPath = corpus };
        var rules = ScanBenchmark.RuleSets(opts).First(s => s.Name.StartsWith("(" + set)).Load();
        Console.WriteLine($"rules loaded ({rules.Count}): " + Now());
        var job = new ScanJob(rules);
        Console.WriteLine("engine built: " + Now());
        GC.Collect(2, GCCollectionMode.Aggressive, true, true);
        Console.WriteLine("after aggressive GC: " + Now());
        GC.KeepAlive(job);
        GC.KeepAlive(rules);
        return 0;
    }
}
internal static class RoutingStats
{
    public static int Run(string corpus)
    {
        var opts = new ScanBenchmarkOptions { CorpusPath = corpus };
        var rules = ScanBenchmark.RuleSets(opts).First(s => s.Name.StartsWith("(c")).Load();
        var engine = new DetectionEngine(rules);
        foreach (var index in new[] { "logs-cloud_defend.process-default", "logs-cloud_defend.file-default" })
        {
            var ev = engine.Rules.Where(r => engine.ReadsIndex(r, index)).ToList();
            var seq = engine.SequenceRules.Where(r => engine.ReadsIndex(r, index)).ToList();
            Console.WriteLine($"{index}: {ev.Count} event rules, {seq.Count} sequence rules");
            foreach (var g in ev.Concat(seq).GroupBy(r => string.Join(",", r.Rule.Index)).OrderByDescending(g => g.Count()).Take(8)) Console.WriteLine($"   {g.Count(),4} index {g.Key}");
        }
        return 0;
    }
}
internal static class ProjectLoop
{
    public static int Run(string path, string corpus, bool reader)
    {
        var rules = ScanBenchmark.RuleSets(new ScanBenchmarkOptions { CorpusPath = corpus }).First(s => s.Name.StartsWith("(b")).Load();
        var engine = new DetectionEngine(rules);
        var wanted = engine.ProjectionFor(["logs-cloud_defend.process-default", "logs-cloud_defend.file-default"]);
        var lines = File.ReadLines(path).Take(30000).Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        var values = new Vigil.Eql.EqlValue[engine.Projection.SlotCount];
        long bytes = lines.Sum(l => (long)l.Length);
        for (var round = 0; round < int.Parse(Environment.GetEnvironmentVariable("ROUNDS") ?? "6"); round++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var line in lines)
            {
                if (reader) Vigil.Events.JsonProjector.ProjectWithReader(line, wanted, values); else Vigil.Events.JsonProjector.Project(line, wanted, values);
                Array.Clear(values);
            }
            var s = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"{(reader ? "reader" : "fast")}: {bytes / 1e6 / s:F0} MB/s cpu, {s * 1e6 / lines.Count:F2} us/event");
        }
        return 0;
    }
}
