using System.CommandLine;
using System.Globalization;
using Vigil.Detection;
using Vigil.Detection.Benchmarking;
using Vigil.Events.Generation;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil bench</c>: whole-run scan throughput per rule set, with the raw-read and bare-parser ceilings.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Option<string?>("--input") { Description = "NDJSON file to scan (default: generate --events N --seed S into a temporary file)." };
        var events = new Option<long>("--events") { Description = "Events to generate when no --input is given.", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed") { Description = "Seed for the generated data.", DefaultValueFactory = _ => 1 };
        var corpus = new Option<string?>("--corpus")
        {
            Description = "Checkout of Elastic's detection-rules (default: ../shared/conformance/detection-rules when present).",
        };
        var runs = new Option<int>("--runs") { Description = "Scans per rule set; the best and the median are reported.", DefaultValueFactory = _ => 1 };
        var plain = new Option<bool>("--plain") { Description = "Measure the plain evaluator (every optimisation off)." };
        var only = new Option<string?>("--sets") { Description = "Rule sets to run, e.g. 'a' or 'abc' (default: all available)." };
        var command = new Command("bench", "Measure scan throughput (events/s, MB/s, alerts, peak RSS) for the built-in rule and the public corpus.")
        {
            input, events, seed, corpus, runs, plain, only,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(input);
            string? temp = null;
            if (path is null)
            {
                temp = Path.Combine(Path.GetTempPath(), $"vigil-bench-{Environment.ProcessId}.ndjson");
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    new EventGenerator(parse.GetValue(seed)).Write(file, parse.GetValue(events));
                }
                path = temp;
            }
            else if (!File.Exists(path))
            {
                stderr.WriteLine($"vigil: no such input: {path}");
                return Program.Usage;
            }
            try
            {
                var corpusPath = parse.GetValue(corpus) ?? Path.GetFullPath(Path.Combine("..", "shared", "conformance", "detection-rules"));
                var options = new ScanBenchmarkOptions
                {
                    CorpusPath = Directory.Exists(corpusPath) ? corpusPath : null,
                    Optimizations = parse.GetValue(plain) ? ScanOptimizations.None : new ScanOptimizations(),
                };
                Report(stdout, path, options, Math.Max(1, parse.GetValue(runs)), parse.GetValue(only));
            }
            finally
            {
                if (temp is not null)
                {
                    File.Delete(temp);
                }
            }
            return Program.Ok;
        });
        return command;
    }

    private static void Report(TextWriter stdout, string path, ScanBenchmarkOptions options, int runs, string? only)
    {
        var size = new FileInfo(path).Length;
        double Mb(double seconds) => size / 1e6 / seconds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"input {path}: {size / 1e6:F1} MB; {Environment.ProcessorCount} cores; optimisations: {options.Optimizations}"));
        ScanBenchmark.RawReadSeconds(path);
        var raw = Enumerable.Range(0, 3).Select(_ => ScanBenchmark.RawReadSeconds(path)).Min();
        var (bare, lines) = ScanBenchmark.BareJsonSeconds(path);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw read (no parsing)         {Mb(raw),8:F0} MB/s"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare Utf8JsonReader, 1 thread {Mb(bare),8:F0} MB/s  ({lines / bare:N0} lines/s)"));
        stdout.WriteLine("rule set                                  rules  load s   events/s      MB/s  vs raw  vs bare   alerts  scan RSS MiB  (load RSS; median of runs)");
        foreach (var (name, load) in ScanBenchmark.RuleSets(options))
        {
            if (only is not null && !only.Contains(name[1], StringComparison.Ordinal))
            {
                continue;
            }
            var results = Enumerable.Range(0, runs).Select(_ => ScanBenchmark.Run(name, load, path, options)).ToList();
            var best = results.MinBy(r => r.Seconds)!;
            var median = results.OrderBy(r => r.Seconds).ElementAt(results.Count / 2);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-40} {best.Rules,6} {best.LoadSeconds,7:F2} {best.Events / best.Seconds,10:N0} {Mb(best.Seconds),9:F0} {raw / best.Seconds,7:F2} {bare / best.Seconds,8:F2} {best.Alerts,8:N0} {results.Max(r => r.PeakRssBytes) / 1048576.0,13:F0}  (load {results.Max(r => r.LoadPeakRssBytes) / 1048576.0:F0} MiB; median {Mb(median.Seconds):F0} MB/s)"));
        }
    }
}
