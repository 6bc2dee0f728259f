using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// One detection rule as written in an Elastic rule TOML file: the <c>[rule]</c> fields as properties,
/// with <see cref="Metadata"/> and <see cref="Transform"/> beside them. Nothing of the file is lost:
/// keys the schema does not define are in <see cref="Extensions"/>, and every table as written is in
/// <see cref="Raw"/>. Instances come from <see cref="RuleLoader"/>, which validates them.
/// </summary>
/// <remarks>
/// Scalars that may be absent are nullable (absent and Kibana's default are told apart; see the
/// <c>Effective…</c> members for the defaults Kibana applies). Lists that may be absent are empty.
/// </remarks>
public sealed record DetectionRule
{
    // ---- identity and description (BaseRuleData, required) ----

    /// <summary><c>rule_id</c>: stable id shared by all versions of the rule.</summary>
    public required string RuleId { get; init; }

    /// <summary><c>name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>description</c>.</summary>
    public required string Description { get; init; }

    /// <summary><c>author</c>.</summary>
    public required ImmutableArray<string> Author { get; init; }

    /// <summary><c>risk_score</c>, 0..100.</summary>
    public required int RiskScore { get; init; }

    /// <summary><c>severity</c>.</summary>
    public required RuleSeverity Severity { get; init; }

    /// <summary><c>type</c>.</summary>
    public required RuleType Type { get; init; }

    /// <summary>The <c>[metadata]</c> table.</summary>
    public required RuleMetadata Metadata { get; init; }

    // ---- BaseRuleData, optional ----

    /// <summary><c>license</c>.</summary>
    public string? License { get; init; }

    /// <summary><c>note</c>: the investigation guide (Markdown).</summary>
    public string? Note { get; init; }

    /// <summary><c>setup</c>: set-up guide (Markdown).</summary>
    public string? Setup { get; init; }

    /// <summary><c>tags</c>.</summary>
    public ImmutableArray<string> Tags { get; init; } = [];

    /// <summary><c>false_positives</c>.</summary>
    public ImmutableArray<string> FalsePositives { get; init; } = [];

    /// <summary><c>references</c>.</summary>
    public ImmutableArray<string> References { get; init; } = [];

    /// <summary><c>from</c>: start of the look-back window as date math (Kibana default <c>now-6m</c>).</summary>
    public string? From { get; init; }

    /// <summary><c>to</c>: end of the window as date math (Kibana default <c>now</c>).</summary>
    public string? To { get; init; }

    /// <summary><c>interval</c>: schedule, <c>&lt;n&gt;&lt;s|m|h|d&gt;</c> (Kibana default <c>5m</c>).</summary>
    public string? Interval { get; init; }

    /// <summary><c>max_signals</c>: most alerts per run (Kibana default 100, capped at 1000).</summary>
    public int? MaxSignals { get; init; }

    /// <summary><c>timestamp_override</c>: field used for the scheduled window instead of <c>@timestamp</c>.</summary>
    public string? TimestampOverride { get; init; }

    /// <summary><c>timestamp_override_fallback_disabled</c>: when true, events without the override field are not searched by <c>@timestamp</c>.</summary>
    public bool? TimestampOverrideFallbackDisabled { get; init; }

    /// <summary><c>version</c> (not authored in the public repository; accepted when present).</summary>
    public int? Version { get; init; }

    /// <summary><c>revision</c> (not authored in the public repository; accepted when present).</summary>
    public int? Revision { get; init; }

    /// <summary><c>building_block_type</c>: <c>default</c> marks a building-block rule whose alerts are hidden by default.</summary>
    public string? BuildingBlockType { get; init; }

    /// <summary><c>risk_score_mapping</c>.</summary>
    public ImmutableArray<RiskScoreMapping> RiskScoreMapping { get; init; } = [];

    /// <summary><c>severity_mapping</c>.</summary>
    public ImmutableArray<SeverityMapping> SeverityMapping { get; init; } = [];

    /// <summary><c>rule_name_override</c>: source field whose value becomes the alert's rule name.</summary>
    public string? RuleNameOverride { get; init; }

    /// <summary><c>timeline_id</c>.</summary>
    public string? TimelineId { get; init; }

    /// <summary><c>timeline_title</c>.</summary>
    public string? TimelineTitle { get; init; }

    /// <summary><c>enabled</c>.</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>threat</c>: MITRE mappings; the first entry is the primary tactic.</summary>
    public ImmutableArray<ThreatEntry> Threat { get; init; } = [];

    /// <summary><c>threat_mappings</c>: repository-only versioned MITRE mappings.</summary>
    public ImmutableArray<VersionedThreatMapping> ThreatMappings { get; init; } = [];

    /// <summary><c>investigation_fields</c>.</summary>
    public InvestigationFields? InvestigationFields { get; init; }

    /// <summary><c>filters</c>: Kibana query-bar filters, as written.</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> Filters { get; init; } = [];

    /// <summary><c>exceptions_list</c>: exception list references, as written.</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> ExceptionsList { get; init; } = [];

    /// <summary><c>actions</c>, as written.</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> Actions { get; init; } = [];

    /// <summary><c>response_actions</c>, as written.</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> ResponseActions { get; init; } = [];

    /// <summary><c>meta</c>, as written.</summary>
    public IReadOnlyDictionary<string, object?>? Meta { get; init; }

    /// <summary><c>throttle</c>.</summary>
    public string? Throttle { get; init; }

    /// <summary><c>related_integrations</c>.</summary>
    public ImmutableArray<RelatedIntegration> RelatedIntegrations { get; init; } = [];

    /// <summary><c>required_fields</c>.</summary>
    public ImmutableArray<RequiredField> RequiredFields { get; init; } = [];

    // ---- query family ----

    /// <summary><c>query</c>, exactly as written (a literal <c>'''</c> string keeps its backslashes).</summary>
    public string? Query { get; init; }

    /// <summary><c>language</c>.</summary>
    public QueryLanguage? Language { get; init; }

    /// <summary><c>index</c>: index patterns searched.</summary>
    public ImmutableArray<string> Index { get; init; } = [];

    /// <summary><c>data_view_id</c>.</summary>
    public string? DataViewId { get; init; }

    /// <summary><c>alert_suppression</c>.</summary>
    public AlertSuppression? AlertSuppression { get; init; }

    // ---- eql ----

    /// <summary><c>event_category_override</c>: field EQL reads the event category from (default <c>event.category</c>).</summary>
    public string? EventCategoryOverride { get; init; }

    /// <summary><c>tiebreaker_field</c>: EQL tiebreaker for events with equal timestamps.</summary>
    public string? TiebreakerField { get; init; }

    /// <summary><c>timestamp_field</c>: EQL ordering timestamp (default <c>@timestamp</c>).</summary>
    public string? TimestampField { get; init; }

    // ---- threshold / new_terms ----

    /// <summary><c>threshold</c>.</summary>
    public ThresholdSpec? Threshold { get; init; }

    /// <summary><c>new_terms</c>.</summary>
    public NewTermsSpec? NewTerms { get; init; }

    // ---- threat_match ----

    /// <summary><c>threat_index</c>: indicator index patterns.</summary>
    public ImmutableArray<string> ThreatIndex { get; init; } = [];

    /// <summary><c>threat_mapping</c>.</summary>
    public ImmutableArray<ThreatMatchMapping> ThreatMapping { get; init; } = [];

    /// <summary><c>threat_query</c>.</summary>
    public string? ThreatQuery { get; init; }

    /// <summary><c>threat_language</c>.</summary>
    public QueryLanguage? ThreatLanguage { get; init; }

    /// <summary><c>threat_filters</c>, as written.</summary>
    public ImmutableArray<IReadOnlyDictionary<string, object?>> ThreatFilters { get; init; } = [];

    /// <summary><c>threat_indicator_path</c>.</summary>
    public string? ThreatIndicatorPath { get; init; }

    /// <summary><c>concurrent_searches</c>.</summary>
    public int? ConcurrentSearches { get; init; }

    /// <summary><c>items_per_search</c>.</summary>
    public int? ItemsPerSearch { get; init; }

    // ---- machine_learning ----

    /// <summary><c>anomaly_threshold</c>.</summary>
    public int? AnomalyThreshold { get; init; }

    /// <summary><c>machine_learning_job_id</c> (one string in the file becomes one item).</summary>
    public ImmutableArray<string> MachineLearningJobId { get; init; } = [];

    // ---- beyond [rule] ----

    /// <summary>The <c>[transform]</c> table, when present.</summary>
    public RuleTransform? Transform { get; init; }

    /// <summary>Keys of <c>[rule]</c> the schema does not define, as written (they also go to <see cref="ToAlertParameters"/>).</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = RuleValues.EmptyTable;

    /// <summary>The <c>[rule]</c> table as written, every key in file order.</summary>
    public IReadOnlyDictionary<string, object?> RuleTable { get; init; } = RuleValues.EmptyTable;

    /// <summary>The whole file as written (<c>metadata</c>, <c>rule</c>, <c>transform</c> and any other top-level key).</summary>
    public IReadOnlyDictionary<string, object?> Raw { get; init; } = RuleValues.EmptyTable;

    /// <summary>Where the rule came from and where its query sits in that file.</summary>
    public RuleSource Source { get; init; } = RuleSource.Unknown;

    // ---- derived ----

    /// <summary><see cref="From"/> or Kibana's default <c>now-6m</c>.</summary>
    public string EffectiveFrom => From ?? "now-6m";

    /// <summary><see cref="To"/> or Kibana's default <c>now</c>.</summary>
    public string EffectiveTo => To ?? "now";

    /// <summary><see cref="Interval"/> or Kibana's default <c>5m</c>.</summary>
    public string EffectiveInterval => Interval ?? "5m";

    /// <summary><see cref="MaxSignals"/> or Kibana's default 100, capped at Kibana's limit of 1000.</summary>
    public int EffectiveMaxSignals => Math.Min(MaxSignals ?? 100, 1000);

    /// <summary>The field EQL reads the event category from.</summary>
    public string EffectiveEventCategoryField => EventCategoryOverride ?? "event.category";

    /// <summary>The field EQL orders events by.</summary>
    public string EffectiveTimestampField => TimestampField ?? "@timestamp";

    /// <summary>Whether this is a building-block rule (<c>building_block_type</c> set).</summary>
    public bool IsBuildingBlock => BuildingBlockType is not null;

    /// <summary>Whether <c>metadata.maturity</c> is <c>deprecated</c>.</summary>
    public bool IsDeprecated => Metadata.Maturity == RuleMaturity.Deprecated;

    /// <summary>
    /// The rule's parameters in the snake_case shape Kibana stores in an alert's <c>kibana.alert.rule.parameters</c>.
    /// See <see cref="RuleParameters.Build"/> for what is added, flattened and left out.
    /// </summary>
    public IReadOnlyDictionary<string, object?> ToAlertParameters() => RuleParameters.Build(this);

    /// <summary>
    /// Compiles <see cref="Query"/> as EQL with this rule's category, timestamp and tiebreaker fields, registering the
    /// fields it reads in <paramref name="fields"/> (a table of its own when null). A rule that <see cref="RuleLoader"/>
    /// loaded had its query checked then, and that check is reused: the text is not parsed again.
    /// </summary>
    /// <param name="fields">The field table to share with other queries, or null.</param>
    /// <exception cref="InvalidOperationException">The rule has no query.</exception>
    /// <exception cref="Vigil.Eql.EqlException">The query is not valid EQL.</exception>
    public Vigil.Eql.CompiledQuery CompileQuery(Vigil.Eql.FieldTable? fields = null) => EqlQueryCompiler.CompileQuery(this, fields);
}

/// <summary>Where a rule was read from.</summary>
/// <param name="Path">File path or source name (<c>builtin/…</c> for the built-in pack); <see langword="null"/> when unknown.</param>
/// <param name="QueryLine">1-based line in the file where the query text begins (after the newline TOML trims after <c>'''</c>); 0 without a query.</param>
/// <param name="QueryColumn">1-based column in that line where the query text begins; 0 without a query.</param>
public sealed record RuleSource(string? Path, int QueryLine, int QueryColumn)
{
    /// <summary>A source that is not known.</summary>
    public static RuleSource Unknown { get; } = new(null, 0, 0);
}
