using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// Builds the snake_case parameter dictionary Kibana stores in an alert's <c>kibana.alert.rule.parameters</c>.
/// </summary>
public static class RuleParameters
{
    /// <summary>
    /// <c>[rule]</c> keys Kibana keeps on the rule object rather than in its parameters
    /// (they appear in alerts as <c>kibana.alert.rule.name</c>, <c>.tags</c>, <c>.interval</c>, ...), so
    /// <see cref="Build"/> leaves them out. They remain on <see cref="DetectionRule"/> and in <see cref="DetectionRule.RuleTable"/>.
    /// </summary>
    public static ImmutableArray<string> RuleObjectKeys { get; } = ["name", "tags", "interval", "enabled", "throttle", "actions", "meta"];

    /// <summary>
    /// Every <c>[rule]</c> key as written (unknown keys included, in file order), minus <see cref="RuleObjectKeys"/>,
    /// then shaped the way Kibana's API shapes a rule: the defaults Kibana applies are filled in
    /// (<c>from</c>, <c>to</c>, <c>max_signals</c>, <c>version</c> 1, and empty lists for <c>author</c>,
    /// <c>false_positives</c>, <c>references</c>, <c>risk_score_mapping</c>, <c>severity_mapping</c>, <c>threat</c>,
    /// <c>exceptions_list</c>, <c>related_integrations</c>, <c>required_fields</c>), every <c>threat</c> entry has a
    /// <c>technique</c> list, and <c>new_terms</c> becomes <c>new_terms_fields</c> and <c>history_window_start</c>.
    /// </summary>
    /// <param name="rule">The rule.</param>
    /// <returns>A read-only dictionary whose values have the shapes described by <see cref="RuleValues"/>.</returns>
    public static IReadOnlyDictionary<string, object?> Build(DetectionRule rule)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in rule.RuleTable)
        {
            if (RuleObjectKeys.Contains(key))
            {
                continue;
            }
            switch (key)
            {
                case "threat":
                    result[key] = WithTechniqueLists(value);
                    break;
                case "new_terms" when rule.NewTerms is { } newTerms:
                    // Kibana's API has no new_terms object: the rules build flattens it into these two parameters.
                    result["new_terms_fields"] = newTerms.Value.Cast<object?>().ToImmutableArray();
                    if (newTerms.HistoryWindowStartValue is { } start)
                    {
                        result["history_window_start"] = start;
                    }
                    break;
                default:
                    result[key] = value;
                    break;
            }
        }
        result.TryAdd("from", rule.EffectiveFrom);
        result.TryAdd("to", rule.EffectiveTo);
        result.TryAdd("max_signals", (long)rule.EffectiveMaxSignals);
        result.TryAdd("version", 1L);
        foreach (var list in DefaultEmptyLists)
        {
            result.TryAdd(list, ImmutableArray<object?>.Empty);
        }
        return RuleValues.Freeze(result);
    }

    private static readonly string[] DefaultEmptyLists =
    [
        "author", "false_positives", "references", "risk_score_mapping", "severity_mapping", "threat",
        "exceptions_list", "related_integrations", "required_fields",
    ];

    private static object? WithTechniqueLists(object? threat)
    {
        if (threat is not IReadOnlyList<object?> entries)
        {
            return threat;
        }
        var copy = new List<object?>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry is IReadOnlyDictionary<string, object?> table && !table.ContainsKey("technique"))
            {
                var withList = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in table)
                {
                    withList[k] = v;
                }
                withList["technique"] = ImmutableArray<object?>.Empty;
                copy.Add(RuleValues.Freeze(withList));
            }
            else
            {
                copy.Add(entry);
            }
        }
        return RuleValues.Freeze(copy);
    }
}
