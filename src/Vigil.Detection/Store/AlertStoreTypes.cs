using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vigil.Detection;

/// <summary>How an <see cref="AlertStore"/> writes.</summary>
public sealed record AlertStoreOptions
{
    /// <summary>Alerts per transaction: the batch commits once it holds this many.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// The batch also commits once its documents hold this many bytes (UTF-8): alert documents carry the rule's
    /// investigation guide and run to tens of kilobytes, so a full batch of the largest would otherwise hold tens of MB.
    /// </summary>
    public long MaxBatchBytes { get; init; } = 1 << 20;

    /// <summary>A batch also commits at the next write once its first alert has waited this long.</summary>
    public TimeSpan MaxCommitDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Open read-only and fail when the file does not exist (for commands that only read).</summary>
    public bool ReadOnly { get; init; }
}

/// <summary>One committed transaction: the alerts it added and those that were already stored.</summary>
/// <param name="NewIds">Alert uuids inserted by this transaction.</param>
/// <param name="ExistingIds">Alert uuids written again but already present (left unchanged).</param>
public sealed record AlertStoreCommit(IReadOnlyList<string> NewIds, IReadOnlyList<string> ExistingIds);

/// <summary>A user's verdict on an alert (<c>kibana.alert.workflow_status</c>).</summary>
public enum AlertWorkflowStatus
{
    /// <summary>Not looked at yet.</summary>
    Open,

    /// <summary>Being worked on.</summary>
    Acknowledged,

    /// <summary>Dealt with.</summary>
    Closed,
}

/// <summary>Filters for <see cref="AlertStore.List"/>; null means any.</summary>
public sealed record AlertQuery
{
    /// <summary>The rule's <c>rule_id</c>.</summary>
    public string? RuleId { get; init; }

    /// <summary>Severity (low, medium, high, critical).</summary>
    public string? Severity { get; init; }

    /// <summary>Workflow status.</summary>
    public AlertWorkflowStatus? Status { get; init; }

    /// <summary>Alerts created (<c>@timestamp</c>, as in Kibana's alert table) at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Include building-block alerts (hidden by default, as in Kibana).</summary>
    public bool IncludeBuildingBlocks { get; init; }

    /// <summary>At most this many (newest event first); null for all.</summary>
    public int? Limit { get; init; }
}

/// <summary>An alert as stored: its filter columns and its document.</summary>
/// <param name="Uuid"><c>kibana.alert.uuid</c>.</param>
/// <param name="RuleId">The rule's <c>rule_id</c>.</param>
/// <param name="RuleUuid"><c>kibana.alert.rule.uuid</c>.</param>
/// <param name="RuleName">The rule's name.</param>
/// <param name="Severity"><c>kibana.alert.severity</c>.</param>
/// <param name="RiskScore"><c>kibana.alert.risk_score</c>.</param>
/// <param name="Status"><c>kibana.alert.workflow_status</c>.</param>
/// <param name="OriginalTime">The source event's time (<c>kibana.alert.original_time</c>), ISO-8601 UTC.</param>
/// <param name="CreatedAt">When the alert was created (<c>@timestamp</c>), ISO-8601 UTC.</param>
/// <param name="Host"><c>host.name</c>.</param>
/// <param name="ContainerId"><c>container.id</c>.</param>
/// <param name="BuildingBlock">True for building-block alerts of sequences.</param>
/// <param name="DocumentJson">The alert document as stored.</param>
public sealed record StoredAlert(
    string Uuid, string RuleId, string? RuleUuid, string RuleName, string? Severity, int? RiskScore, string Status,
    string? OriginalTime, string CreatedAt, string? Host, string? ContainerId, bool BuildingBlock, string DocumentJson)
{
    /// <summary>The alert document parsed.</summary>
    /// <exception cref="InvalidDataException">The stored document is not a JSON object; the message names the alert.</exception>
    public JsonObject Document() => TryDocument(out var document, out var error) ? document : throw new InvalidDataException(error);

    /// <summary>
    /// The alert document parsed, or false with <c>alert UUID: stored document is not a JSON object: why</c> when the
    /// stored text is not valid JSON or not an object (a file edited or damaged outside Vigil).
    /// </summary>
    public bool TryDocument([NotNullWhen(true)] out JsonObject? document, [NotNullWhen(false)] out string? error)
    {
        document = null;
        string why;
        try
        {
            switch (JsonNode.Parse(DocumentJson, documentOptions: Alert.DocumentOptions))
            {
                case JsonObject o:
                    document = o;
                    error = null;
                    return true;
                case null:
                    why = "it is null";
                    break;
                case JsonArray:
                    why = "it is an array";
                    break;
                default:
                    why = "it is a single value";
                    break;
            }
        }
        catch (JsonException ex)
        {
            why = ex.Message;
        }
        error = $"alert {Uuid}: stored document is not a JSON object: {why}";
        return false;
    }
}

/// <summary>Rule metadata kept by the store for <c>alerts show</c>.</summary>
/// <param name="RuleUuid"><c>kibana.alert.rule.uuid</c>.</param>
/// <param name="RuleId">The rule's <c>rule_id</c>.</param>
/// <param name="Name">The rule's name.</param>
/// <param name="Note">The investigation guide (Markdown), if any.</param>
/// <param name="FalsePositivesJson">JSON array of false-positive notes, if any.</param>
/// <param name="ThreatJson">JSON array of MITRE ATT&amp;CK mappings, if any.</param>
public sealed record StoredRule(string RuleUuid, string RuleId, string Name, string? Note, string? FalsePositivesJson, string? ThreatJson);

/// <summary>A store could not be opened, read or written; the message names the file.</summary>
public sealed class AlertStoreException : Exception
{
    /// <summary>Creates the error for the store at <paramref name="path"/>.</summary>
    public AlertStoreException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner) => StorePath = path;

    /// <summary>The store file.</summary>
    public string StorePath { get; }
}

/// <summary>Parses the <c>--since</c> forms: ISO-8601 times and dates, <c>now</c>, <c>now-1h</c> and bare <c>24h</c>, <c>7d</c>.</summary>
public static class AlertTimes
{
    /// <summary>
    /// The instant <paramref name="text"/> names relative to <paramref name="now"/>, or null with an error message (also
    /// when a duration reaches back before year 1). <c>vigil triage</c> keeps its own copy of these rules
    /// (<c>TriageOptions.TryParseSince</c>), since Vigil.Triage depends on no other Vigil project; keep the two in step.
    /// </summary>
    public static DateTimeOffset? ParseSince(string text, DateTimeOffset now, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        var t = text.Trim();
        if (t.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return now;
        }
        var relative = t.StartsWith("now-", StringComparison.OrdinalIgnoreCase) ? t[4..] : t;
        if (relative.Length >= 2 && UnitTicks(relative[^1]) is { } unit && IsDigits(relative.AsSpan(0, relative.Length - 1)))
        {
            // Checked by hand: TimeSpan.FromDays overflows and DateTimeOffset subtraction throws beyond year 1.
            if (!long.TryParse(relative.AsSpan(0, relative.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                || n > (now.UtcTicks - DateTimeOffset.MinValue.UtcTicks) / unit)
            {
                error = $"'{text}' is out of range: it reaches back before the year 1";
                return null;
            }
            return new DateTimeOffset(now.UtcTicks - (n * unit), TimeSpan.Zero);
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }
        error = $"cannot read '{text}' as a time: use ISO-8601 (2026-11-20T09:00:00Z, 2026-11-20) or a duration back from now (30m, 24h, 7d, now-1h)";
        return null;
    }

    private static long? UnitTicks(char unit) => unit switch
    {
        's' => TimeSpan.TicksPerSecond,
        'm' => TimeSpan.TicksPerMinute,
        'h' => TimeSpan.TicksPerHour,
        'd' => TimeSpan.TicksPerDay,
        'w' => 7 * TimeSpan.TicksPerDay,
        _ => null,
    };

    private static bool IsDigits(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>The form times are stored and compared in: UTC, milliseconds, <c>Z</c> (sorts as text).</summary>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>An event time in the stored form when it parses; otherwise unchanged.</summary>
    internal static string? Normalize(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? Format(t)
            : text;
}
