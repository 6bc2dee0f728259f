using System.Diagnostics;
using Tomlyn.Parsing;
using Vigil.Detection;
using Vigil.Detection.Benchmarking;
using Vigil.Rules;

namespace Vigil.Benchmarks;

/// <summary>
/// <c>load PATH...</c>: loads and compiles the rules as <c>vigil scan</c> does, three times in one process (the first is
/// cold), with wall and CPU time, JIT time and the peak RSS of each; then, on one thread, where loading spends its time.
/// <c>MEM=1</c> instead prints what the loaded rules and the engine keep on the heap.
/// </summary>
internal static class LoadStages
{
    public static int Run(string[] paths)
    {
        for (var i = 0; i < 3; i++)
        {
            LoadOnce(paths);
        }
        if (Environment.GetEnvironmentVariable("MEM") == "1")
        {
            static double Heap() => GC.GetTotalMemory(true) / 1048576.0;
            var baseline = Heap();
            var noCompile = RuleLoader.Load(paths, new RuleLoaderOptions { CompileEql = false });
            var a = Heap() - baseline;
            var compiled = RuleLoader.Load(paths);
            var b = Heap() - baseline - a;
            var eng = new DetectionEngine(compiled.Rules.Where(r => r.IsEql).Select(r => r.Rule));
            var c = Heap() - baseline - a - b;
            long note = 0, query = 0;
            foreach (var r in noCompile.Rules)
            {
                note += (r.Rule.Note?.Length ?? 0) + (r.Rule.Setup?.Length ?? 0) + r.Rule.Description.Length;
                query += r.Rule.Query?.Length ?? 0;
            }
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            var strings = new Dictionary<string, int>(StringComparer.Ordinal);
            long stringBytes = 0, keyStrings = 0, containers = 0;
            void Walk(object? v)
            {
                switch (v)
                {
                    case string str:
                        if (seen.Add(str))
                        {
                            stringBytes += 22 + 2 * str.Length;
                            strings[str] = strings.GetValueOrDefault(str) + 1;
                        }
                        break;
                    case IReadOnlyDictionary<string, object?> d:
                        if (seen.Add(d))
                        {
                            containers++;
                            foreach (var (k, x) in d)
                            {
                                if (seen.Add(k))
                                {
                                    keyStrings++;
                                    stringBytes += 22 + 2 * k.Length;
                                    strings[k] = strings.GetValueOrDefault(k) + 1;
                                }
                                Walk(x);
                            }
                        }
                        break;
                    case IEnumerable<object?> list:
                        containers++;
                        foreach (var x in list)
                        {
                            Walk(x);
                        }
                        break;
                }
            }
            foreach (var r in noCompile.Rules)
            {
                Walk(r.Rule.Raw);
            }
            var duplicateBytes = strings.Where(kv => kv.Value > 1).Sum(kv => (long)(kv.Value - 1) * (22 + 2 * kv.Key.Length));
            var shortDuplicateBytes = strings.Where(kv => kv.Value > 1 && kv.Key.Length <= 100).Sum(kv => (long)(kv.Value - 1) * (22 + 2 * kv.Key.Length));
            Console.WriteLine($"raw: {containers} containers, {seen.Count} distinct objects, string instances {stringBytes / 1048576.0:F1} MiB ({keyStrings} key instances), " +
                $"repeated copies {duplicateBytes / 1048576.0:F1} MiB (of strings up to 100 chars {shortDuplicateBytes / 1048576.0:F1} MiB), distinct texts {strings.Count}");
            Console.WriteLine($"heap: rules without queries {a:F1} MiB, rules with compiled queries {b:F1} MiB, engine {c:F1} MiB; note+setup+description {note * 2 / 1048576.0:F1} MiB, query text {query * 2 / 1048576.0:F1} MiB");
            if (Environment.GetEnvironmentVariable("TOP") == "1")
            {
                var table = new Vigil.Eql.FieldTable();
                var costs = new List<(long Bytes, double Ms, string Name, string Query)>();
                foreach (var r in compiled.Rules.Where(r => r.IsExecutable))
                {
                    var allocated = GC.GetAllocatedBytesForCurrentThread();
                    var t = Stopwatch.StartNew();
                    r.Rule.CompileQuery(table);
                    costs.Add((GC.GetAllocatedBytesForCurrentThread() - allocated, t.Elapsed.TotalMilliseconds, r.Rule.Name, r.Rule.Query!));
                }
                Console.WriteLine($"compile allocations: {costs.Sum(x => x.Bytes) / 1048576.0:F1} MiB, {costs.Sum(x => x.Ms):F0} ms; regex rules {costs.Count(x => x.Query.Contains("regex", StringComparison.OrdinalIgnoreCase))} with {costs.Where(x => x.Query.Contains("regex", StringComparison.OrdinalIgnoreCase)).Sum(x => x.Bytes) / 1048576.0:F1} MiB");
                foreach (var x in costs.OrderByDescending(x => x.Bytes).Take(8))
                {
                    Console.WriteLine($"  {x.Bytes / 1024,6} KiB {x.Ms,6:F1} ms  {x.Name}  [{(x.Query.Contains("regex", StringComparison.OrdinalIgnoreCase) ? "regex" : "")}]");
                }
            }
            GC.KeepAlive(noCompile);
            GC.KeepAlive(compiled);
            GC.KeepAlive(eng);
            return 0;
        }
        if (Environment.GetEnvironmentVariable("STAGES") == "0")
        {
            return 0;
        }
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*.toml", SearchOption.AllDirectories) : [p])
            .Order(StringComparer.Ordinal).ToList();
        // Each file goes through every stage before the next, as in the loader, so what a stage leaves behind is garbage
        // as soon as the loader's would be (keeping every syntax tree alive makes the parse look three times slower).
        var stages = new double[7];
        var bytes = new long[7];
        var watch = new Stopwatch();
        T Time<T>(int stage, Func<T> f)
        {
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            watch.Restart();
            var result = f();
            stages[stage] += watch.Elapsed.TotalSeconds;
            bytes[stage] += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            return result;
        }
        var eql = new List<DetectionRule>();
        foreach (var file in files)
        {
            var text = Time(0, () => SourceFile.ReadAllText(file));
            var document = Time(1, () => SyntaxParser.Parse(text, file, validate: true));
            Time(2, () => SyntaxParser.Parse(text, file, validate: false));
            var tree = Time(3, () => TomlTreeBuilder.Build(document, text));
            var rule = Time(4, () => RuleReader.Read(tree, new DiagnosticSink(file, text), file));
            if (rule is { Type: RuleType.Eql, Query: not null })
            {
                eql.Add(rule);
                // As the loader: the check is kept beside the rule, and compiling reuses it.
                var loaded = Time(5, () => EqlQueryCompiler.Check(new LoadedRule(rule, null, null), new DiagnosticSink(file, text)));
                if (loaded.IsExecutable)
                {
                    Time(6, () => rule.CompileQuery());
                }
            }
        }
        var watch2 = Stopwatch.StartNew();
        GC.KeepAlive(new DetectionEngine(eql));
        var engineTime = watch2.Elapsed.TotalSeconds;
        Console.WriteLine($"one thread, warm: read {stages[0]:F3} s, Tomlyn parse {stages[1]:F3} s (without validation {stages[2]:F3} s), tree {stages[3]:F3} s, " +
            $"model {stages[4]:F3} s, EQL check {stages[5]:F3} s, EQL compile alone {stages[6]:F3} s ({eql.Count} queries), engine {engineTime:F3} s");
        Console.WriteLine($"allocated, MiB: read {bytes[0] / 1048576.0:F0}, parse {bytes[1] / 1048576.0:F0} (without validation {bytes[2] / 1048576.0:F0}), tree {bytes[3] / 1048576.0:F0}, " +
            $"model {bytes[4] / 1048576.0:F0}, EQL check {bytes[5] / 1048576.0:F0}, compile alone {bytes[6] / 1048576.0:F0}");
        return 0;
    }

    /// <summary>One load and compile; a method of its own so that nothing it loaded stays referenced from the caller's frame.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LoadOnce(string[] paths)
    {
        // Hand the previous run's memory back first, so that each run's peak is its own.
        ScanJob.ReleaseLoadMemory();
        ScanBenchmark.ResetPeakRss();
        var before = Environment.WorkingSet;
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var pause = GC.GetTotalPauseDuration();
        var collections = GC.CollectionCount(0);
        var allocated = GC.GetTotalAllocatedBytes();
        var sw = Stopwatch.StartNew();
        var loaded = RuleLoader.Load(paths);
        var loadSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var engine = new DetectionEngine(loaded.Rules.Where(r => r.IsEql).Select(r => r.Rule));
        var compileSeconds = sw.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var peak = ScanBenchmark.PeakRss();
        var gc = $"GC {GC.CollectionCount(0) - collections} collections, {(GC.GetTotalPauseDuration() - pause).TotalSeconds:F2} s paused, {(GC.GetTotalAllocatedBytes() - allocated) / 1048576.0:F0} MiB allocated";
        Console.WriteLine($"load {loaded.Rules.Length} rule files: {loadSeconds:F2} s; compile {engine.Rules.Count + engine.SequenceRules.Count} EQL rules: {compileSeconds:F2} s" +
            $" (cpu {cpuSeconds:F2} s, of it JIT {(System.Runtime.JitInfo.GetCompilationTime() - jit).TotalSeconds:F2} s for {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods;" +
            $" {gc}; peak RSS {peak / 1048576.0:F0} MiB from {before / 1048576.0:F0} MiB before, heap after {GC.GetTotalMemory(true) / 1048576.0:F0} MiB)");
        GC.KeepAlive(loaded);
        GC.KeepAlive(engine);
    }

    private static object? Catch(Func<object> f)
    {
        try
        {
            return f();
        }
        catch (Vigil.Eql.EqlException)
        {
            return null;
        }
    }
}
