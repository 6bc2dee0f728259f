using BenchmarkDotNet.Attributes;
using Vigil.Detection;
using Vigil.Events;
using Vigil.Events.Generation;

namespace Vigil.Benchmarks;

/// <summary>
/// BenchmarkDotNet: the fast path's pieces over 10,000 generated events (about 22 MB) with the built-in rule: the literal
/// prefilter alone, projection alone, and whole scans with the plain evaluator and with every optimisation.
/// </summary>
[MemoryDiagnoser]
public class FastPathBenchmarks
{
    private byte[] _input = [];
    private List<(int Start, int Length)> _lines = [];
    private LinePrefilter _prefilter = null!;
    private DetectionEngine _engine = null!;
    private string _path = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var ms = new MemoryStream();
        new EventGenerator(3).Write(ms, 10_000);
        _input = ms.ToArray();
        for (var p = 0; p < _input.Length;)
        {
            var nl = _input.AsSpan(p).IndexOf((byte)'\n');
            _lines.Add((p, nl));
            p += nl + 1;
        }
        _engine = new DetectionEngine(ScanWorkload.BuiltInRules());
        _prefilter = LinePrefilter.Create(_engine.Rules.Select(r => r.Query).ToList())!;
        _path = Path.Combine(Path.GetTempPath(), $"vigil-bdn-{Environment.ProcessId}.ndjson");
        File.WriteAllBytes(_path, _input);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(Description = "prefilter 10k lines")]
    public int Prefilter()
    {
        var pass = 0;
        foreach (var (start, length) in _lines)
        {
            pass += _prefilter.CannotMatch(_input.AsSpan(start, length)) ? 0 : 1;
        }
        return pass;
    }

    [Benchmark(Description = "project 10k lines")]
    public int Project()
    {
        var values = new Vigil.Eql.EqlValue[_engine.Projection.SlotCount];
        var n = 0;
        foreach (var (start, length) in _lines)
        {
            JsonProjector.Project(_input.AsSpan(start, length), _engine.Projection, values);
            Array.Clear(values);
            n++;
        }
        return n;
    }

    [Benchmark(Baseline = true, Description = "scan 10k, plain evaluator")]
    public long ScanPlain() => Scan(ScanOptimizations.None);

    [Benchmark(Description = "scan 10k, all optimisations")]
    public long ScanFast() => Scan(new ScanOptimizations());

    private long Scan(ScanOptimizations optimizations)
    {
        var sink = new ScanWorkload.CountingSink();
        new ScanJob(ScanWorkload.BuiltInRules()).Run([_path], sink, _ => { }, new ScanOptions { Optimizations = optimizations });
        return sink.Count;
    }
}
