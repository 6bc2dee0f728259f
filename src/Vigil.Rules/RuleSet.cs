using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Vigil.Rules;

/// <summary>
/// A set of loaded rules with routing helpers: which rules read a given index, and lookup by <c>rule_id</c>.
/// </summary>
public sealed class RuleSet : IReadOnlyList<LoadedRule>
{
    // Index names come from input data, so the routing cache is bounded.
    private const int MaxCachedIndices = 10_000;

    private readonly ImmutableArray<LoadedRule> _rules;
    private readonly Dictionary<string, LoadedRule> _byId;
    private readonly ConcurrentDictionary<string, ImmutableArray<LoadedRule>> _byIndex = new(StringComparer.Ordinal);

    /// <summary>Creates a set; when two rules share a <c>rule_id</c>, lookup finds the first.</summary>
    public RuleSet(IEnumerable<LoadedRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
        _byId = new Dictionary<string, LoadedRule>(StringComparer.Ordinal);
        foreach (var rule in _rules)
        {
            _byId.TryAdd(rule.Rule.RuleId, rule);
        }
    }

    /// <inheritdoc />
    public int Count => _rules.Length;

    /// <inheritdoc />
    public LoadedRule this[int index] => _rules[index];

    /// <summary>The rules Vigil can run (EQL rules whose query compiled).</summary>
    public IEnumerable<LoadedRule> Executable => _rules.Where(r => r.IsExecutable);

    /// <summary>The rule with this <c>rule_id</c>, or <see langword="null"/>.</summary>
    public LoadedRule? Find(string ruleId) => _byId.GetValueOrDefault(ruleId);

    /// <summary>
    /// The rules whose <c>index</c> patterns match <paramref name="indexName"/> (see <see cref="IndexPatterns"/>), in load order.
    /// </summary>
    public ImmutableArray<LoadedRule> ForIndex(string indexName)
    {
        ArgumentNullException.ThrowIfNull(indexName);
        if (_byIndex.TryGetValue(indexName, out var cached))
        {
            return cached;
        }
        var matching = _rules.Where(r => IndexPatterns.Matches(r.Rule.Index, indexName)).ToImmutableArray();
        if (_byIndex.Count >= MaxCachedIndices)
        {
            _byIndex.Clear();
        }
        _byIndex[indexName] = matching;
        return matching;
    }

    /// <inheritdoc />
    public IEnumerator<LoadedRule> GetEnumerator() => ((IEnumerable<LoadedRule>)_rules).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
