using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>What a scan read and found.</summary>
public sealed record ScanSummary(long EventsRead, long BadLines, int RulesRun, int RulesSkipped, long Alerts, long DuplicateAlerts)
{
    /// <summary>One line for people, e.g. on stderr.</summary>
    public override string ToString() =>
        $"events read: {EventsRead}, bad lines: {BadLines}, rules run: {RulesRun}" +
        (RulesSkipped > 0 ? $" ({RulesSkipped} not executable)" : string.Empty) +
        $", alerts: {Alerts}" + (DuplicateAlerts > 0 ? $" ({DuplicateAlerts} duplicates dropped)" : string.Empty);
}

/// <summary>
/// Scans NDJSON inputs with a set of rules: reads only the fields the rules need, evaluates every event, builds alerts and
/// hands them to a sink. Bad lines are reported and skipped; a duplicate alert (same event and rule seen twice) is dropped.
/// </summary>
public sealed class ScanJob
{
    private readonly DetectionEngine _engine;

    /// <summary>Prepares a scan with <paramref name="rules"/>.</summary>
    public ScanJob(IEnumerable<DetectionRule> rules, DetectionOptions? options = null) =>
        _engine = new DetectionEngine(rules, options);

    /// <summary>The engine (rules running and skipped).</summary>
    public DetectionEngine Engine => _engine;

    /// <summary>Reads every input (<c>-</c> is stdin) and writes alerts to <paramref name="sink"/>.</summary>
    public ScanSummary Run(IEnumerable<string> inputs, IAlertSink sink, Action<InputError> onError, string? defaultIndex = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(sink);
        var reader = new NdjsonReader(_engine.Projection, onError, new NdjsonReaderOptions { DefaultIndex = defaultIndex });
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var alerts = new List<Alert>();
        long written = 0;
        long duplicates = 0;
        foreach (var input in inputs)
        {
            foreach (var e in reader.ReadPath(input))
            {
                alerts.Clear();
                _engine.Process(e, alerts);
                foreach (var a in alerts)
                {
                    if (seen.Add(a.Id))
                    {
                        sink.Write(a);
                        written++;
                    }
                    else
                    {
                        duplicates++;
                    }
                }
            }
        }
        sink.Flush();
        return new ScanSummary(reader.EventsRead, reader.BadLines, _engine.Rules.Count, _engine.Skipped.Count, written, duplicates);
    }
}
