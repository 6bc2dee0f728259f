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
    private readonly FieldRef _category;
    private readonly List<ActiveRule> _rules = [];
    private readonly List<ActiveRule> _sequenceRules = [];
    private readonly List<SkippedRule> _skipped = [];
    private readonly Dictionary<string, Routing> _byIndex = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Routing> _byIndexShared = new(StringComparer.Ordinal);

    /// <summary>The rules that read one index: computed once per index name, since pattern matching is costly.</summary>
    private sealed record Routing(ActiveRule[] EventRules, HashSet<ActiveRule> SequenceRules)
    {
        /// <summary>The fields these rules read (built on first use).</summary>
        public FieldProjection? Projection { get; set; }
    }
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
        _category = Fields.Get("event.category");
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
            // A loaded rule's query was parsed and checked by the loader; only the compilation into the shared table is left.
            query = rule.CompileQuery(Fields);
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
            // Consecutive events mostly share their data stream: reuse the name instead of building it for every event.
            var last = t_lastDataStream;
            if (last is not null && string.Equals(last.Type, type.AsString, StringComparison.Ordinal)
                && string.Equals(last.Dataset, dataset.AsString, StringComparison.Ordinal)
                && string.Equals(last.Namespace, ns.AsString, StringComparison.Ordinal))
            {
                return last.Name;
            }
            var name = $"{type.AsString}-{dataset.AsString}-{ns.AsString}";
            t_lastDataStream = new DataStreamName(type.AsString, dataset.AsString, ns.AsString, name);
            return name;
        }
        return e.DefaultIndex;
    }

    private sealed record DataStreamName(string Type, string Dataset, string Namespace, string Name);

    [ThreadStatic]
    private static DataStreamName? t_lastDataStream;

    /// <summary>Whether <paramref name="rule"/> reads the index <paramref name="index"/> (null: no index information, so yes).</summary>
    public bool ReadsIndex(ActiveRule rule, string? index) =>
        index is null || RoutingFor(index) is var routing && (routing.SequenceRules.Contains(rule) || Array.IndexOf(routing.EventRules, rule) >= 0);

    /// <summary>
    /// The fields an event of <paramref name="index"/> must carry: those of the rules that read that index, and the fields
    /// that route events. Null index: every rule's fields (<see cref="Projection"/>).
    /// </summary>
    internal FieldProjection ProjectionFor(string? index)
    {
        if (index is null)
        {
            return Projection;
        }
        var routing = RoutingFor(index);
        if (routing.Projection is { } known)
        {
            return known;
        }
        var fields = MetaFields.Append("event.category").Select(Fields.Get)
            .Concat(routing.EventRules.Concat(routing.SequenceRules).SelectMany(r => r.Query.Fields))
            .Distinct()
            .ToList();
        var projection = new FieldProjection(Fields, fields);
        routing.Projection = projection;
        return projection;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, FieldProjection> _unions = new(StringComparer.Ordinal);

    /// <summary>
    /// The fields events of any of <paramref name="indexes"/> must carry (see <see cref="ProjectionFor(string?)"/>), so that a reader
    /// of interleaved indexes (process and file events) projects each event once. Any null index means every field.
    /// </summary>
    internal FieldProjection ProjectionFor(IReadOnlyCollection<string?> indexes)
    {
        if (indexes.Any(i => i is null))
        {
            return Projection;
        }
        if (indexes.Count == 1)
        {
            return ProjectionFor(indexes.First());
        }
        var key = string.Join('\n', indexes.Order(StringComparer.Ordinal));
        if (_unions.TryGetValue(key, out var known))
        {
            return known;
        }
        var fields = MetaFields.Append("event.category").Select(Fields.Get)
            .Concat(indexes.Select(i => RoutingFor(i!)).SelectMany(r => r.EventRules.Concat(r.SequenceRules)).SelectMany(r => r.Query.Fields))
            .Distinct()
            .ToList();
        var projection = new FieldProjection(Fields, fields);
        if (_unions.Count > 1_000)
        {
            _unions.Clear();
        }
        _unions[key] = projection;
        return projection;
    }

    /// <summary>The event rules that read <paramref name="index"/>.</summary>
    internal ActiveRule[] RulesFor(string? index) => index is null ? _allRules ??= [.. _rules] : RoutingFor(index).EventRules;

    private ActiveRule[]? _allRules;

    private Routing RoutingFor(string index)
    {
        // Lock-free for the common case: parallel scans ask for every event.
        if (_byIndexShared.TryGetValue(index, out var known))
        {
            return known;
        }
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
                if (_byIndexShared.Count > 10_000)
                {
                    _byIndexShared.Clear();
                }
                _byIndexShared[index] = routing;
            }
            return routing;
        }
    }

    /// <summary>
    /// Runs every applicable event rule on <paramref name="e"/>, appending alerts to <paramref name="alerts"/>. Alerts carry
    /// <paramref name="execution"/> (a new one per call when null).
    /// </summary>
    public void Process(EventRecord e, ICollection<Alert> alerts, RuleExecution? execution = null) => Process(e, alerts, execution, categoryRouting: false);

    /// <summary>
    /// As <see cref="Process(EventRecord, ICollection{Alert}, RuleExecution?)"/>; with <paramref name="categoryRouting"/>,
    /// an event with one <c>event.category</c> meets only the rules of that category (and those of any category), in the
    /// same order, so the alerts are the same; with <paramref name="valueRouting"/>, it meets only the rules a
    /// <see cref="RuleDispatch"/> selects by the values of their required fields (again the same alerts, in the same order).
    /// </summary>
    internal void Process(EventRecord e, ICollection<Alert> alerts, RuleExecution? execution, bool categoryRouting, bool valueRouting = false)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(alerts);
        var index = ResolveIndex(e);
        var rules = RulesFor(index);
        string? category = null;
        if (categoryRouting && e.Get(_category) is { Kind: EqlValueKind.String } one)
        {
            category = one.AsString;
        }
        else if (categoryRouting && e.Get(_category) is { Kind: EqlValueKind.Array } many && many.AsArray.Length == 1 && many.AsArray[0].Kind == EqlValueKind.String)
        {
            category = many.AsArray[0].AsString;
        }
        if (category is not null)
        {
            rules = ForCategory(rules, index, category);
        }
        if (valueRouting)
        {
            var dispatch = DispatchFor(rules, index, category);
            Span<ulong> mask = dispatch.MaskWords <= 16 ? stackalloc ulong[dispatch.MaskWords] : new ulong[dispatch.MaskWords];
            dispatch.Select(e, mask);
            for (var w = 0; w < mask.Length; w++)
            {
                for (var bits = mask[w]; bits != 0; bits &= bits - 1)
                {
                    Evaluate(dispatch.Rules[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits)], e, index, alerts, execution);
                }
            }
            return;
        }
        foreach (var rule in rules)
        {
            Evaluate(rule, e, index, alerts, execution);
        }
    }

    private void Evaluate(ActiveRule rule, EventRecord e, string? index, ICollection<Alert> alerts, RuleExecution? execution)
    {
        if (rule.Query.Matches(e) && !rule.IsExcepted(e))
        {
            alerts.Add(AlertBuilder.Build(rule, e, index, _options, execution ?? RuleExecution.Start(_options.Time, _options.ExecutionType)));
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string?, string?), RuleDispatch> _dispatch = new();

    /// <summary>The value index over a routed rule list (one per index and category).</summary>
    private RuleDispatch DispatchFor(ActiveRule[] rules, string? index, string? category)
    {
        if (_dispatch.TryGetValue((index, category), out var cached) && ReferenceEquals(cached.Rules, rules))
        {
            return cached;
        }
        var dispatch = new RuleDispatch(rules);
        // Bound the cache: categories and index names come from input data.
        if (_dispatch.Count > 10_000)
        {
            _dispatch.Clear();
        }
        _dispatch[(index, category)] = dispatch;
        return dispatch;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string?, string), ActiveRule[]> _byCategory = new();

    /// <summary>
    /// The rules (of an index's list) that can match an event of one category: those whose query names that category or
    /// any, plus those reading the category from another field (they are not routed).
    /// </summary>
    private ActiveRule[] ForCategory(ActiveRule[] rules, string? index, string category)
    {
        if (_byCategory.TryGetValue((index, category), out var cached))
        {
            return cached;
        }
        var routed = rules.Where(r => r.Query.Categories is null
            || !string.Equals(r.Rule.EffectiveEventCategoryField, "event.category", StringComparison.Ordinal)
            || r.Query.Categories.Contains(category)).ToArray();
        // Bound the cache: categories and index names come from input data.
        if (_byCategory.Count > 10_000)
        {
            _byCategory.Clear();
        }
        _byCategory[(index, category)] = routed;
        return routed;
    }

    /// <summary>Builds the alerts of one sequence or sample result: the shell first, then one building block per event.</summary>
    public List<Alert> BuildSequenceAlerts(ActiveRule rule, IEnumerable<EventRecord> events, RuleExecution execution)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(events);
        return AlertBuilder.BuildSequence(rule, events.Select(e => (e, ResolveIndex(e))).ToList(), _options, execution);
    }
}
