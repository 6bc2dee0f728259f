using Vigil.Eql;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>Engine settings with sensible defaults.</summary>
public sealed record DetectionOptions
{
    /// <summary>Kibana space the alerts belong to (part of the alert id).</summary>
    public string SpaceId { get; init; } = "default";

    /// <summary><c>kibana.alert.rule.execution.type</c>: <c>manual</c> for scans of files, <c>scheduled</c> for scheduled runs.</summary>
    public string ExecutionType { get; init; } = "manual";

    /// <summary>Value written to <c>kibana.version</c>.</summary>
    public string KibanaVersion { get; init; } = "9.3.0";

    /// <summary>Clock for alert creation times.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Exception items; each rule applies those attached to it (see <see cref="ExceptionSet.ItemsFor"/>).</summary>
    public ExceptionSet? Exceptions { get; init; }
}

/// <summary>A rule the engine could not run, and why.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="Reason">Why it is not running.</param>
/// <param name="IsError">True when the rule is broken (its query does not compile); false when the rule type is simply not executable yet.</param>
public sealed record SkippedRule(DetectionRule Rule, string Reason, bool IsError);

/// <summary>
/// Streaming detection: each event meets only the rules whose category and index patterns can match it, and every match
/// becomes an alert. Rules share one field table, so the reader extracts each needed field once per event.
/// </summary>
public sealed class DetectionEngine
{
    private static readonly string[] MetaFields = ["_index", "data_stream.type", "data_stream.dataset", "data_stream.namespace", "@timestamp", "event.ingested"];

    private readonly DetectionOptions _options;
    private readonly FieldRef _index;
    private readonly FieldRef _dsType;
    private readonly FieldRef _dsDataset;
    private readonly FieldRef _dsNamespace;
    private readonly List<ActiveRule> _rules = [];
    private readonly List<ActiveRule> _sequenceRules = [];
    private readonly List<SkippedRule> _skipped = [];
    private readonly Dictionary<string, Routing> _byIndex = new(StringComparer.Ordinal);

    /// <summary>The rules that read one index: computed once per index name, since pattern matching is costly.</summary>
    private sealed record Routing(ActiveRule[] EventRules, HashSet<ActiveRule> SequenceRules);
    private readonly Lock _gate = new();

    /// <summary>Compiles the event-query rules among <paramref name="rules"/>; the others are listed in <see cref="Skipped"/>.</summary>
    public DetectionEngine(IEnumerable<DetectionRule> rules, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _options = options ?? new DetectionOptions();
        Fields = new FieldTable();
        foreach (var f in MetaFields)
        {
            Fields.Get(f);
        }
        _index = Fields.Get("_index");
        _dsType = Fields.Get("data_stream.type");
        _dsDataset = Fields.Get("data_stream.dataset");
        _dsNamespace = Fields.Get("data_stream.namespace");
        foreach (var rule in rules)
        {
            Add(rule);
        }
        Projection = new FieldProjection(Fields);
    }

    private void Add(DetectionRule rule)
    {
        if (rule.IsDeprecated)
        {
            _skipped.Add(new SkippedRule(rule, "deprecated (metadata.maturity = \"deprecated\"); Kibana does not run deprecated rules", false));
            return;
        }
        if (rule.Type != RuleType.Eql || rule.Query is null)
        {
            _skipped.Add(new SkippedRule(rule, $"rule type '{rule.Type.ToString().ToLowerInvariant()}' is not executable yet", false));
            return;
        }
        CompiledQuery query;
        try
        {
            query = Eql.Eql.Compile(rule.Query, new EqlOptions
            {
                CategoryField = rule.EffectiveEventCategoryField,
                TimestampField = rule.EffectiveTimestampField,
                TiebreakerField = rule.TiebreakerField,
            }, Fields);
        }
        catch (EqlException ex)
        {
            _skipped.Add(new SkippedRule(rule, ex.Diagnostic.ToString(), true));
            return;
        }
        if (rule.TimestampOverride is { } timestampOverride)
        {
            // Scheduled replay selects events by this field, so the reader must extract it.
            Fields.Get(timestampOverride);
        }
        var active = new ActiveRule(rule, query);
        if (_options.Exceptions is { } exceptions)
        {
            active.Exceptions = RuleExceptions.For(exceptions.ItemsFor(rule, active.Uuid), _options.Time.GetUtcNow());
        }
        (query.IsEventQuery ? _rules : _sequenceRules).Add(active);
    }

    /// <summary>The field table shared by every compiled rule.</summary>
    public FieldTable Fields { get; }

    /// <summary>The fields a reader must extract for these rules.</summary>
    public FieldProjection Projection { get; }

    /// <summary>Event-query rules: they run on each event as it arrives.</summary>
    public IReadOnlyList<ActiveRule> Rules => _rules;

    /// <summary>Sequence and sample rules: they need events in time order (see <see cref="ScanJob"/>).</summary>
    public IReadOnlyList<ActiveRule> SequenceRules => _sequenceRules;

    /// <summary>The options the engine runs with.</summary>
    public DetectionOptions Options => _options;

    /// <summary>Rules that do not run, with the reason.</summary>
    public IReadOnlyList<SkippedRule> Skipped => _skipped;

    /// <summary>
    /// The index an event belongs to: its <c>_index</c>, else its data stream <c>{type}-{dataset}-{namespace}</c>, else the
    /// index given for its input; null when there is no index information (such an event meets every rule).
    /// </summary>
    public string? ResolveIndex(EventRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Get(_index) is { Kind: EqlValueKind.String } idx && idx.AsString.Length > 0)
        {
            return idx.AsString;
        }
        var type = e.Get(_dsType);
        var dataset = e.Get(_dsDataset);
        var ns = e.Get(_dsNamespace);
        if (type.Kind == EqlValueKind.String && dataset.Kind == EqlValueKind.String && ns.Kind == EqlValueKind.String)
        {
            return $"{type.AsString}-{dataset.AsString}-{ns.AsString}";
        }
        return e.DefaultIndex;
    }

    /// <summary>Whether <paramref name="rule"/> reads the index <paramref name="index"/> (null: no index information, so yes).</summary>
    public bool ReadsIndex(ActiveRule rule, string? index) =>
        index is null || RoutingFor(index) is var routing && (routing.SequenceRules.Contains(rule) || Array.IndexOf(routing.EventRules, rule) >= 0);

    /// <summary>The event rules that read <paramref name="index"/>.</summary>
    internal ActiveRule[] RulesFor(string? index) => index is null ? [.. _rules] : RoutingFor(index).EventRules;

    private Routing RoutingFor(string index)
    {
        lock (_gate)
        {
            if (!_byIndex.TryGetValue(index, out var routing))
            {
                routing = new Routing(
                    _rules.Where(r => IndexPatterns.Matches(r.Rule.Index, index)).ToArray(),
                    _sequenceRules.Where(r => IndexPatterns.Matches(r.Rule.Index, index)).ToHashSet());
                // Bound the cache: index names come from input data.
                if (_byIndex.Count > 10_000)
                {
                    _byIndex.Clear();
                }
                _byIndex[index] = routing;
            }
            return routing;
        }
    }

    /// <summary>
    /// Runs every applicable event rule on <paramref name="e"/>, appending alerts to <paramref name="alerts"/>. Alerts carry
    /// <paramref name="execution"/> (a new one per call when null).
    /// </summary>
    public void Process(EventRecord e, ICollection<Alert> alerts, RuleExecution? execution = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(alerts);
        var index = ResolveIndex(e);
        foreach (var rule in RulesFor(index))
        {
            if (rule.Query.Matches(e) && !rule.IsExcepted(e))
            {
                alerts.Add(AlertBuilder.Build(rule, e, index, _options, execution ?? RuleExecution.Start(_options.Time, _options.ExecutionType)));
            }
        }
    }

    /// <summary>Builds the alerts of one sequence or sample result: the shell first, then one building block per event.</summary>
    public List<Alert> BuildSequenceAlerts(ActiveRule rule, IEnumerable<EventRecord> events, RuleExecution execution)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(events);
        return AlertBuilder.BuildSequence(rule, events.Select(e => (e, ResolveIndex(e))).ToList(), _options, execution);
    }
}
