using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection.Benchmarking;

/// <summary>One measured scan of one rule set over one input.</summary>
/// <param name="Name">Rule set label.</param>
/// <param name="Rules">Rules that ran (event, sequence and sample).</param>
/// <param name="Seconds">Wall-clock time of the scan.</param>
/// <param name="Events">Events read.</param>
/// <param name="Alerts">Alerts written.</param>
/// <param name="PeakRssBytes">Peak resident set size during the scan (Linux VmHWM, reset after loading), or the process peak elsewhere.</param>
/// <param name="LoadSeconds">Time to load and compile the rules.</param>
/// <param name="LoadPeakRssBytes">Peak resident set size while loading and compiling the rules.</param>
public sealed record BenchmarkRun(string Name, int Rules, double Seconds, long Events, long Alerts, long PeakRssBytes, double LoadSeconds, long LoadPeakRssBytes);

/// <summary>Whole-run benchmark settings.</summary>
public sealed record ScanBenchmarkOptions
{
    /// <summary>The public detection-rules checkout (with <c>rules</c> and <c>rules_building_block</c>); null skips rule sets (b) and (c).</summary>
    public string? CorpusPath { get; init; }

    /// <summary>Scan optimisations to measure.</summary>
    public ScanOptimizations Optimizations { get; init; } = new();

    /// <summary>Index names the corpus subset (b) must cover.</summary>
    public IReadOnlyList<string> CoveredIndexes { get; init; } = ["logs-cloud_defend.process-default", "logs-cloud_defend.file-default"];
}

/// <summary>
/// <c>vigil bench</c>: reads one NDJSON file with no parsing, with a bare <see cref="Utf8JsonReader"/> pass, and with
/// <see cref="ScanJob"/> under each rule set, all in the same process, so the ratios compare like with like.
/// </summary>
public static class ScanBenchmark
{
    /// <summary>Reads the file in 1 MiB blocks and does nothing with the bytes: the ceiling for any scan.</summary>
    public static double RawReadSeconds(string path)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        var sw = Stopwatch.StartNew();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
        sw.Stop();
        ArrayPool<byte>.Shared.Return(buffer);
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>Splits lines and reads every token of every line with <see cref="Utf8JsonReader"/>, on one thread; returns seconds and lines.</summary>
    public static (double Seconds, long Lines) BareJsonSeconds(string path)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        long lines = 0;
        long tokens = 0;
        var sw = Stopwatch.StartNew();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            var filled = 0;
            while (true)
            {
                var n = stream.Read(buffer, filled, buffer.Length - filled);
                filled += n;
                var span = buffer.AsSpan(0, filled);
                var start = 0;
                while (true)
                {
                    var nl = span[start..].IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }
                    var reader = new Utf8JsonReader(span.Slice(start, nl));
                    while (reader.Read())
                    {
                        tokens++;
                    }
                    lines++;
                    start += nl + 1;
                }
                span[start..].CopyTo(buffer);
                filled -= start;
                if (n == 0)
                {
                    break;
                }
            }
        }
        sw.Stop();
        ArrayPool<byte>.Shared.Return(buffer);
        GC.KeepAlive(tokens);
        return (sw.Elapsed.TotalSeconds, lines);
    }

    /// <summary>The three rule sets: built-in, corpus rules covering the cloud_defend indexes, every corpus EQL rule.</summary>
    public static IEnumerable<(string Name, Func<IReadOnlyList<DetectionRule>> Load)> RuleSets(ScanBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        yield return ("(a) built-in rule", () => BuiltInRules.Load().Rules.Select(r => r.Rule).ToList());
        if (options.CorpusPath is not { } corpus)
        {
            yield break;
        }
        string[] dirs = [Path.Combine(corpus, "rules"), Path.Combine(corpus, "rules_building_block")];
        var existing = dirs.Where(Directory.Exists).ToArray();
        yield return ("(b) corpus rules covering cloud_defend", () => RuleLoader.Load(existing).Rules.Select(r => r.Rule)
            .Where(r => options.CoveredIndexes.Any(i => IndexPatterns.Matches(r.Index, i))).ToList());
        yield return ("(c) every corpus EQL rule", () => RuleLoader.Load(existing).Rules.Where(r => r.IsEql).Select(r => r.Rule).ToList());
    }

    /// <summary>Loads a rule set, builds the scan job and scans <paramref name="path"/> once.</summary>
    public static BenchmarkRun Run(string name, Func<IReadOnlyList<DetectionRule>> load, string path, ScanBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(options);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        ResetPeakRss();
        var loadWatch = Stopwatch.StartNew();
        var rules = load();
        var job = new ScanJob(rules);
        loadWatch.Stop();
        var loadPeak = PeakRss();
        // The rule files' text and models are garbage now: release them as `vigil scan` does, then measure the scan's own peak.
        ScanJob.ReleaseLoadMemory();
        ResetPeakRss();
        var sink = new CountingSink();
        var sw = Stopwatch.StartNew();
        var summary = job.Run([path], sink, _ => { }, new ScanOptions { Optimizations = options.Optimizations });
        sw.Stop();
        return new BenchmarkRun(name, job.Engine.Rules.Count + job.Engine.SequenceRules.Count, sw.Elapsed.TotalSeconds, summary.EventsRead, sink.Count, PeakRss(), loadWatch.Elapsed.TotalSeconds, loadPeak);
    }

    /// <summary>Resets the kernel's peak-RSS mark for this process (Linux), so each run reports its own peak.</summary>
    public static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // Not Linux or not permitted: the process-wide peak is reported instead.
        }
    }

    /// <summary>Peak resident set size since the last reset (VmHWM), in bytes.</summary>
    public static long PeakRss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private sealed class CountingSink : IAlertSink
    {
        public long Count { get; private set; }

        /// <summary>Bytes of the alert documents: a scan's figures include serialising what it found, as every real sink does.</summary>
        public long Bytes { get; private set; }

        public void Write(Alert alert)
        {
            Count++;
            Bytes += alert.Json.Length;
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
