using System.Diagnostics;
using Vigil.Detection;
using Vigil.Events;

namespace Vigil.Benchmarks;

/// <summary>Stopwatch breakdown of the fast path's stages on one thread: block reading, prefilter, projection.</summary>
internal static class Breakdown
{
    /// <summary>Process CPU time, steadier than wall time on a machine shared with builds.</summary>
    private sealed class CpuWatch
    {
        private TimeSpan _start = Process.GetCurrentProcess().TotalProcessorTime;

        public void Restart() => _start = Process.GetCurrentProcess().TotalProcessorTime;

        public TimeSpan Elapsed => Process.GetCurrentProcess().TotalProcessorTime - _start;
    }

    public static int Run(string path, string? rulesPath)
    {
        var rules = rulesPath is null ? ScanWorkload.BuiltInRules() : ScanWorkload.RulesFrom(rulesPath);
        var engine = new DetectionEngine(rules);
        var size = new FileInfo(path).Length / 1e6;
        var prefilter = LinePrefilter.Create(engine.Rules.Concat(engine.SequenceRules).Select(r => r.Query).ToList());
        Console.WriteLine($"rules {engine.Rules.Count}+{engine.SequenceRules.Count}, slots {engine.Projection.SlotCount}, prefilter {(prefilter is null ? "none" : "on")}");
        for (var round = 0; round < 2; round++)
        {
            var reader = new NdjsonReader(engine.Projection, _ => { });
            var sw = new CpuWatch();
            long lines = 0;
            foreach (var b in reader.ReadBatches(path))
            {
                lines += b.Lines.Count;
                b.Release();
            }
            Console.WriteLine($"blocks only        {size / sw.Elapsed.TotalSeconds,8:F0} MB/s  {lines} lines");
            {
                var all = File.ReadAllBytes(path);
                var lineList = new List<(int, int)>();
                for (int p = 0; p < all.Length;)
                {
                    var nl = all.AsSpan(p).IndexOf((byte)'\n');
                    if (nl < 0) break;
                    lineList.Add((p, nl));
                    p += nl + 1;
                }
                var chars = new char[1 << 20];
                sw.Restart();
                foreach (var (s, l) in lineList) System.Text.Encoding.Latin1.GetChars(all.AsSpan(s, l), chars);
                Console.WriteLine($"widen only         {size / sw.Elapsed.TotalSeconds,8:F0} MB/s");
                var sv = System.Buffers.SearchValues.Create(["apt", "apt-get", "dnf", "microdnf", "yum", "zypper", "tdnf", "apk", "pacman", "rpm", "dpkg"], StringComparison.Ordinal);
                var sv2 = System.Buffers.SearchValues.Create(["apt-get", "microdnf", "zypper", "pacman"], StringComparison.Ordinal);
                var wide = System.Text.Encoding.Latin1.GetString(all.AsSpan(0, Math.Min(all.Length, 200_000_000)));
                sw.Restart();
                var hits = 0;
                foreach (var (s, l) in lineList) { if (s + l > wide.Length) break; if (wide.AsSpan(s, l).IndexOfAny(sv) >= 0) hits++; }
                Console.WriteLine($"search only 11     {wide.Length / 1e6 / sw.Elapsed.TotalSeconds,8:F0} MB/s {hits}");
                sw.Restart();
                hits = 0;
                foreach (var (s, l) in lineList) { if (s + l > wide.Length) break; if (wide.AsSpan(s, l).IndexOfAny(sv2) >= 0) hits++; }
                Console.WriteLine($"search only 4 long {wide.Length / 1e6 / sw.Elapsed.TotalSeconds,8:F0} MB/s {hits}");
                sw.Restart();
                hits = 0;
                foreach (var (s, l) in lineList) { if (all.AsSpan(s, l).IndexOf("dpkg"u8) >= 0) hits++; }
                Console.WriteLine($"byte IndexOf 1     {size / sw.Elapsed.TotalSeconds,8:F0} MB/s {hits}");
            }
            sw.Restart();
            long pass = 0;
            var scratch = new char[4096];
            foreach (var b in reader.ReadBatches(path))
            {
                foreach (var (s, l, _, _) in b.Lines)
                {
                    if (prefilter is null || !prefilter.CannotMatch(b.Buffer.AsSpan(s, l)))
                    {
                        pass++;
                    }
                }
                b.Release();
            }
            Console.WriteLine($"blocks + prefilter {size / sw.Elapsed.TotalSeconds,8:F0} MB/s  {pass} lines pass");
            sw.Restart();
            var values = new Vigil.Eql.EqlValue[engine.Projection.SlotCount];
            // As the scan projects (IndexProjection): the fields of the rules reading the generated data's two indexes.
            var wanted = engine.ProjectionFor(["logs-cloud_defend.process-default", "logs-cloud_defend.file-default"]);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            foreach (var b in reader.ReadBatches(path))
            {
                for (var i = 0; i < b.Lines.Count; i++)
                {
                    reader.TryParse(b, i, values, wanted, out _);
                    Array.Clear(values);
                }
                b.Release();
            }
            Console.WriteLine($"blocks + project   {size / sw.Elapsed.TotalSeconds,8:F0} MB/s, {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1e6,5:F0} MB allocated");
            sw.Restart();
            allocated = GC.GetAllocatedBytesForCurrentThread();
            var alertCount = 0;
            var alerts = new List<Alert>();
            var exec = RuleExecution.Start(TimeProvider.System, "manual");
            foreach (var b in reader.ReadBatches(path))
            {
                for (var i = 0; i < b.Lines.Count; i++)
                {
                    if (reader.TryParse(b, i, values, wanted, out var raw))
                    {
                        var e = EventRecord.Borrowed(raw, "x", 1, values, null);
                        engine.Process(e, alerts, exec, categoryRouting: true, valueRouting: true);
                        alertCount += alerts.Count;
                        alerts.Clear();
                    }
                    Array.Clear(values);
                }
                b.Release();
            }
            Console.WriteLine($"project + rules    {size / sw.Elapsed.TotalSeconds,8:F0} MB/s, {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1e6,5:F0} MB allocated, {alertCount} alerts");
        }
        return 0;
    }
}
