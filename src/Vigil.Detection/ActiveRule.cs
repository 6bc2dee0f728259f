using System.Security.Cryptography;
using System.Text;
using Vigil.Eql;
using Vigil.Rules;

namespace Vigil.Detection;

/// <summary>A rule ready to run: the rule as loaded, its compiled query and its alert identity.</summary>
public sealed class ActiveRule
{
    internal ActiveRule(DetectionRule rule, CompiledQuery query, string? uuid = null)
    {
        Rule = rule;
        Query = query;
        Uuid = uuid ?? DeriveUuid(rule.RuleId);
    }

    /// <summary>The same rule under another instance id (Kibana's saved-object id), e.g. to reproduce Kibana's alert ids.</summary>
    internal static ActiveRule WithUuid(ActiveRule rule, string uuid) => new(rule.Rule, rule.Query, uuid) { Exceptions = rule.Exceptions };

    /// <summary>The rule as loaded.</summary>
    public DetectionRule Rule { get; }

    /// <summary>The compiled EQL query.</summary>
    public CompiledQuery Query { get; }

    /// <summary>
    /// The rule's instance id (<c>kibana.alert.rule.uuid</c>). Kibana uses a saved-object id; Vigil derives a stable
    /// UUID from the rule_id so that alert ids stay the same across runs and machines.
    /// </summary>
    public string Uuid { get; }

    /// <summary>The exception items that apply to this rule (null when none do).</summary>
    internal RuleExceptions? Exceptions { get; set; }

    private long _excepted;

    /// <summary>Events this rule matched (or, for sequence rules, could have used) that an exception removed.</summary>
    public long ExceptedEvents => Interlocked.Read(ref _excepted);

    /// <summary>
    /// Whether an exception item removes <paramref name="e"/> for this rule (counted). Parses the event, so call it only for
    /// events that matched.
    /// </summary>
    internal bool IsExcepted(Vigil.Events.EventRecord e)
    {
        if (Exceptions is null || Exceptions.Match(e.ToJsonObject()) is null)
        {
            return false;
        }
        Interlocked.Increment(ref _excepted);
        return true;
    }

    private AlertBuilder.RuleFields? _alertFields;

    /// <summary>The rule's alert fields that are the same in every alert, built on first use (a race builds equal copies).</summary>
    internal AlertBuilder.RuleFields AlertFields => _alertFields ??= AlertBuilder.RuleFields.Of(this);

    /// <summary>Adds events a replay found excepted (each counted once however many windows held it).</summary>
    internal void CountExcepted(long count) => Interlocked.Add(ref _excepted, count);

    /// <summary>A name-based UUID (version 5 layout over SHA-256) of the rule id.</summary>
    internal static string DeriveUuid(string ruleId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("vigil-rule:" + ruleId));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
