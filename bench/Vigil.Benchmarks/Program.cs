using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Vigil.Detection;
using Vigil.Events;

namespace Vigil.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Vigil.Benchmarks</c> prints scan throughput figures;
/// <c>-- bdn [BenchmarkDotNet args]</c> runs the BenchmarkDotNet suite; <c>-- nats [events] [workers...]</c> measures the NATS bus.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "bdn")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }
        if (args.Length > 1 && args[0] == "load")
        {
            return LoadStages.Run(args[1..]);
        }
        if (args.Length > 2 && args[0] == "project")
        {
            return ProjectLoop.Run(args[1], args[2], args.Length > 3 && args[3] == "reader");
        }
        if (args.Length > 1 && args[0] == "routing")
        {
            return RoutingStats.Run(args[1]);
        }
        if (args.Length > 2 && args[0] == "memory")
        {
            return MemoryStats.Run(args[1], args[2]);
        }
        if (args.Length > 3 && args[0] == "literals")
        {
            return LiteralStats.Run(args[1], args[2], args[3]);
        }
        if (args.Length > 3 && args[0] == "stages")
        {
            return Stages.Run(args[1], args[2], args[3]);
        }
        if (args.Length > 1 && args[0] == "breakdown")
        {
            return Breakdown.Run(args[1], args.Length > 2 ? args[2] : null);
        }
        if (args.Length > 0 && args[0] == "sensor")
        {
            var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
            var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
            return SensorBenchmark.Run(rate, seconds);
        }
        if (args.Length > 0 && args[0] == "nats")
        {
            var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
            var workers = args.Length > 2 ? args[2..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 2];
            return NatsBenchmark.Run(count, workers);
        }
        var events = args.Length > 0 && args[0] == "scan" && args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500_000;
        var rulesPath = args.Length > 2 ? args[2] : null;
        return ScanThroughput(events, rulesPath);
    }

    private static int ScanThroughput(int events, string? rulesPath)
    {
        var path = Path.Combine(Path.GetTempPath(), $"vigil-bench-{Environment.ProcessId}.ndjson");
        using (var file = File.Create(path))
        {
            ScanWorkload.Write(file, events);
        }
        var size = new FileInfo(path).Length;
        var rules = rulesPath is null ? ScanWorkload.BuiltInRules() : ScanWorkload.RulesFrom(rulesPath);
        var job = new ScanJob(rules);
        Console.WriteLine($"scan throughput: {events:N0} events, {size / 1048576.0:F1} MiB, {job.Engine.Rules.Count} event rules ({job.Engine.Skipped.Count} not executable)");
        // Warm-up pass so that the figures show steady state, not JIT.
        var warm = Path.Combine(Path.GetTempPath(), $"vigil-bench-warm-{Environment.ProcessId}.ndjson");
        File.WriteAllBytes(warm, ScanWorkload.Build(Math.Min(events, 20_000)));
        Run(job, warm);
        File.Delete(warm);
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var (summary, sink) = Run(job, path);
        File.Delete(path);
        sw.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Console.WriteLine($"  events read      {summary.EventsRead:N0}");
        Console.WriteLine($"  alerts           {sink.Count:N0}");
        Console.WriteLine($"  elapsed          {sw.Elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"  throughput       {summary.EventsRead / sw.Elapsed.TotalSeconds:N0} events/s, {size / 1048576.0 / sw.Elapsed.TotalSeconds:F1} MiB/s");
        Console.WriteLine($"  allocated        {allocated / (double)summary.EventsRead:N0} bytes/event");
        Console.WriteLine($"  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        return 0;
    }

    private static (ScanSummary, ScanWorkload.CountingSink) Run(ScanJob job, string path)
    {
        var sink = new ScanWorkload.CountingSink();
        var summary = job.Run([path], sink, (InputError e) => Console.Error.WriteLine(e.Render()));
        return (summary, sink);
    }
}
