using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary><c>[rule.investigation_fields]</c>: fields the alert flyout shows first.</summary>
/// <param name="FieldNames"><c>field_names</c>.</param>
public sealed record InvestigationFields(ImmutableArray<string> FieldNames);

/// <summary>One <c>risk_score_mapping</c> entry: take the risk score from a source field.</summary>
/// <param name="Field">Source field.</param>
/// <param name="Operator"><c>equals</c> when given.</param>
/// <param name="Value">Value to compare with; may be empty.</param>
/// <param name="RiskScore">Optional fixed score written as <c>risk_score</c> in the entry.</param>
public sealed record RiskScoreMapping(string Field, string? Operator, string? Value, int? RiskScore);

/// <summary>One <c>severity_mapping</c> entry: a severity chosen when a source field has a value.</summary>
/// <param name="Field">Source field.</param>
/// <param name="Operator"><c>equals</c> when given.</param>
/// <param name="Value">Value to compare with.</param>
/// <param name="Severity">Severity applied on a match, when given.</param>
public sealed record SeverityMapping(string Field, string? Operator, string? Value, RuleSeverity? Severity);

/// <summary><c>[rule.alert_suppression]</c>.</summary>
/// <param name="GroupBy"><c>group_by</c>: 1 to 3 fields (empty for threshold rules).</param>
/// <param name="Duration"><c>duration</c>, when given.</param>
/// <param name="MissingFieldsStrategy"><c>suppress</c> or <c>doNotSuppress</c>, when given.</param>
public sealed record AlertSuppression(ImmutableArray<string> GroupBy, SuppressionDuration? Duration, string? MissingFieldsStrategy);

/// <summary>A suppression window (<c>alert_suppression.duration</c>).</summary>
/// <param name="Unit"><c>s</c>, <c>m</c> or <c>h</c>.</param>
/// <param name="Value">At least 1.</param>
public sealed record SuppressionDuration(string Unit, long Value)
{
    /// <summary>The window as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan ToTimeSpan() => Unit switch
    {
        "s" => TimeSpan.FromSeconds(Value),
        "m" => TimeSpan.FromMinutes(Value),
        _ => TimeSpan.FromHours(Value),
    };
}

/// <summary><c>[rule.threshold]</c> of a threshold rule.</summary>
/// <param name="Fields"><c>field</c>: group-by fields (a single string in the file becomes one item).</param>
/// <param name="Value"><c>value</c>: minimum count, at least 1.</param>
/// <param name="Cardinality"><c>cardinality</c> conditions.</param>
public sealed record ThresholdSpec(ImmutableArray<string> Fields, long Value, ImmutableArray<ThresholdCardinality> Cardinality);

/// <summary>A <c>threshold.cardinality</c> condition: at least <paramref name="Value"/> distinct values of <paramref name="Field"/>.</summary>
/// <param name="Field">Field counted.</param>
/// <param name="Value">Minimum distinct count.</param>
public sealed record ThresholdCardinality(string Field, long Value);

/// <summary>
/// <c>[rule.new_terms]</c> as written in rule files (<c>field = "new_terms_fields"</c>, <c>value</c>, <c>history_window_start</c>);
/// Kibana's API flattens it to <c>new_terms_fields</c> and <c>history_window_start</c>.
/// </summary>
/// <param name="Field">Always <c>new_terms_fields</c> in valid rules.</param>
/// <param name="Value">The new-terms fields (1 to 3).</param>
/// <param name="HistoryWindowStart">Entries such as <c>{ field = "history_window_start", value = "now-14d" }</c>.</param>
public sealed record NewTermsSpec(string Field, ImmutableArray<string> Value, ImmutableArray<NewTermsHistoryWindow> HistoryWindowStart)
{
    /// <summary>The history window start (date math such as <c>now-14d</c>), when given.</summary>
    public string? HistoryWindowStartValue => HistoryWindowStart.IsDefaultOrEmpty ? null : HistoryWindowStart[0].Value;
}

/// <summary>One <c>new_terms.history_window_start</c> entry.</summary>
/// <param name="Field">Always <c>history_window_start</c> in valid rules.</param>
/// <param name="Value">Date math, e.g. <c>now-14d</c>.</param>
public sealed record NewTermsHistoryWindow(string Field, string Value);

/// <summary>One <c>threat_mapping</c> group of a threat-match rule: all its entries must match (AND); groups are ORed.</summary>
/// <param name="Entries">The entries.</param>
public sealed record ThreatMatchMapping(ImmutableArray<ThreatMatchEntry> Entries);

/// <summary>One <c>threat_mapping.entries</c> item: source field equals indicator field.</summary>
/// <param name="Field">Source event field.</param>
/// <param name="Type">Always <c>mapping</c>.</param>
/// <param name="Value">Indicator field.</param>
/// <param name="Negate">Negated entry, when given.</param>
public sealed record ThreatMatchEntry(string Field, string Type, string Value, bool? Negate);

/// <summary>A <c>related_integrations</c> entry (normally added at build time, accepted when written).</summary>
/// <param name="Package">Fleet package.</param>
/// <param name="Version">Version constraint.</param>
/// <param name="Integration">Integration inside the package, when given.</param>
public sealed record RelatedIntegration(string Package, string Version, string? Integration);

/// <summary>A <c>required_fields</c> entry (normally added at build time, accepted when written).</summary>
/// <param name="Name">Field name.</param>
/// <param name="Type">Field type.</param>
/// <param name="Ecs">Whether the field is defined by ECS.</param>
public sealed record RequiredField(string Name, string Type, bool Ecs);
