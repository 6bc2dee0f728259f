using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// Exception items and lists loaded from files, and which rules they apply to. An item applies to a rule when the item, its
/// list or the file it came from names the rule in <c>rule_ids</c> (by <c>rule_id</c> or by rule instance id; <c>*</c> for
/// every rule), or when the rule's own <c>exceptions_list</c> references the item's <c>list_id</c> (Kibana's mechanism).
/// </summary>
public sealed class ExceptionSet
{
    private readonly Dictionary<string, ExceptionList> _lists;

    internal ExceptionSet(ImmutableArray<ExceptionItem> items, ImmutableArray<ExceptionList> lists, ImmutableArray<RuleDiagnostic> diagnostics, int fileCount)
    {
        Items = items;
        Lists = lists;
        Diagnostics = diagnostics;
        FileCount = fileCount;
        _lists = new Dictionary<string, ExceptionList>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            // Two files may describe the same list (e.g. one attaches it, one holds items): attachments add up.
            _lists[list.ListId] = _lists.TryGetValue(list.ListId, out var known)
                ? known with { RuleIds = [.. known.RuleIds, .. list.RuleIds] }
                : list;
        }
    }

    /// <summary>No exceptions.</summary>
    public static ExceptionSet Empty { get; } = new([], [], [], 0);

    /// <summary>Every item that loaded without error, in file order.</summary>
    public ImmutableArray<ExceptionItem> Items { get; }

    /// <summary>Every list (container) that loaded.</summary>
    public ImmutableArray<ExceptionList> Lists { get; }

    /// <summary>Every error and warning, positioned in its file.</summary>
    public ImmutableArray<RuleDiagnostic> Diagnostics { get; }

    /// <summary>Files read.</summary>
    public int FileCount { get; }

    /// <summary>Whether any error was reported.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>The items that apply to <paramref name="rule"/> (whose instance id is <paramref name="ruleUuid"/>, when known).</summary>
    public IReadOnlyList<ExceptionItem> ItemsFor(DetectionRule rule, string? ruleUuid = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var referenced = rule.ExceptionsList
            .Select(r => r.TryGetValue("list_id", out var id) ? id as string : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        bool Names(ImmutableArray<string> ids) => ids.Any(id => id == "*" || id == rule.RuleId || (ruleUuid is not null && id == ruleUuid));
        return Items
            .Where(item => Names(item.RuleIds)
                || referenced.Contains(item.ListId)
                || (_lists.TryGetValue(item.ListId, out var list) && Names(list.RuleIds)))
            .ToList();
    }

    /// <summary>The rule ids named in <c>rule_ids</c> anywhere (without <c>*</c>), to check against the loaded rules.</summary>
    public IEnumerable<(string RuleId, ExceptionSource Source)> NamedRuleIds() =>
        Lists.SelectMany(l => l.RuleIds.Select(id => (id, l.Source)))
            .Concat(Items.SelectMany(i => i.RuleIds.Select(id => (id, i.Source))))
            .Where(p => p.id != "*");

    /// <summary>Joins several sets (for example several <c>--exceptions</c> files and a rules folder's <c>exceptions/</c>).</summary>
    public static ExceptionSet Combine(IEnumerable<ExceptionSet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        var all = sets.ToList();
        return new ExceptionSet(
            [.. all.SelectMany(s => s.Items)],
            [.. all.SelectMany(s => s.Lists)],
            [.. all.SelectMany(s => s.Diagnostics)],
            all.Sum(s => s.FileCount));
    }
}
