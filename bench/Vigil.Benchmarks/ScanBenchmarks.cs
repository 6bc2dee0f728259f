using BenchmarkDotNet.Attributes;
using Vigil.Detection;
using Vigil.Events;

namespace Vigil.Benchmarks;

/// <summary>BenchmarkDotNet: reading and evaluating 10,000 events with the built-in rule.</summary>
[MemoryDiagnoser]
public class ScanBenchmarks
{
    private byte[] _input = [];
    private DetectionEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _input = ScanWorkload.Build(10_000);
        _engine = new DetectionEngine(ScanWorkload.BuiltInRules());
    }

    [Benchmark(Description = "read + project 10k events")]
    public long ReadOnly()
    {
        var reader = new NdjsonReader(_engine.Projection, _ => { });
        long n = 0;
        foreach (var e in reader.ReadStream(new MemoryStream(_input), "bench"))
        {
            n += e.Line;
        }
        return n;
    }

    [Benchmark(Description = "read + detect 10k events")]
    public long Detect()
    {
        var reader = new NdjsonReader(_engine.Projection, _ => { });
        var alerts = new List<Alert>();
        foreach (var e in reader.ReadStream(new MemoryStream(_input), "bench"))
        {
            _engine.Process(e, alerts);
        }
        return alerts.Count;
    }
}
