using System.Text.Json.Nodes;

namespace Vigil.Detection;

/// <summary>
/// The page <c>vigil alerts show</c> prints: the alert's key facts, MITRE ATT&amp;CK tactics and techniques with links, the
/// process ancestry (process, parent and the group, session and entry leaders), the rule's false-positive notes and its
/// investigation guide rendered from Markdown.
/// </summary>
public static class AlertDetailsWriter
{
    private static readonly (string Label, string Path)[] Ancestry =
    [
        ("process", "process"),
        ("parent", "process.parent"),
        ("group leader", "process.group_leader"),
        ("session leader", "process.session_leader"),
        ("entry leader", "process.entry_leader"),
    ];

    /// <summary>Writes the page for <paramref name="alert"/>; <paramref name="rule"/> fills in what the document lacks.</summary>
    public static void Write(TextWriter output, StoredAlert alert, StoredRule? rule = null, bool ansi = false, int width = 100)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(alert);
        var doc = alert.Document();
        string Bold(string s) => ansi ? "\u001b[1m" + s + "\u001b[0m" : s;
        void Section(string title)
        {
            output.WriteLine();
            output.WriteLine(Bold(title));
        }
        void Fact(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                output.WriteLine($"  {label,-13}{Clean(value)}");
            }
        }

        output.WriteLine(Bold("Alert " + Clean(alert.Uuid)));
        Fact("Rule", $"{alert.RuleName} ({alert.RuleId})");
        Fact("Severity", alert.Severity + (alert.RiskScore is { } risk ? $" (risk score {risk})" : string.Empty));
        Fact("Status", alert.Status + (Text(doc, "kibana.alert.workflow_status_updated_at") is { } changed ? $" (since {changed})" : string.Empty));
        Fact("Event time", alert.OriginalTime);
        Fact("Detected", alert.CreatedAt);
        Fact("Host", alert.Host);
        var image = Text(doc, "container.image.name") is { } img ? img + (Text(doc, "container.image.tag") is { } tag ? ":" + tag : string.Empty) : null;
        Fact("Container", alert.ContainerId is null ? null : alert.ContainerId + (image is null ? string.Empty : $" ({image})"));
        var pod = Text(doc, "orchestrator.resource.name");
        Fact("Pod", pod is null ? null : (Text(doc, "orchestrator.namespace") is { } ns ? ns + "/" : string.Empty) + pod);
        Fact("User", Text(doc, "user.name") ?? Text(doc, "user.id"));
        Fact("Command", CommandLine(doc, "process"));
        Fact("Reason", Text(doc, "kibana.alert.reason"));
        if (alert.BuildingBlock)
        {
            Fact("Sequence", $"building block {Text(doc, "kibana.alert.group.index")} of {Text(doc, "kibana.alert.group.id")}");
        }

        var threat = Node(doc, "kibana.alert.rule.threat") as JsonArray ?? Parse(rule?.ThreatJson) as JsonArray;
        if (threat is { Count: > 0 })
        {
            Section("MITRE ATT&CK");
            foreach (var entry in threat.OfType<JsonObject>())
            {
                var tactic = entry["tactic"] as JsonObject;
                var tacticId = Str(tactic?["id"]);
                output.WriteLine(Clean($"  tactic     {tacticId} {Str(tactic?["name"])}  {Link(tacticId, "tactics")}".TrimEnd()));
                foreach (var technique in (entry["technique"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var id = Str(technique["id"]);
                    output.WriteLine(Clean($"  technique  {id} {Str(technique["name"])}  {Link(id, "techniques")}".TrimEnd()));
                    foreach (var sub in (technique["subtechnique"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        var subId = Str(sub["id"]);
                        output.WriteLine(Clean($"    sub      {subId} {Str(sub["name"])}  {Link(subId, "techniques")}".TrimEnd()));
                    }
                }
            }
        }

        var rows = Ancestry.Select(a => (a.Label, Row: AncestryRow(doc, a.Path))).Where(r => r.Row is not null).ToList();
        if (rows.Count > 0)
        {
            Section("Process ancestry");
            foreach (var (label, row) in rows)
            {
                output.WriteLine($"  {label,-15}{Clean(row!)}");
            }
        }

        var falsePositives = (Node(doc, "kibana.alert.rule.false_positives") as JsonArray ?? Parse(rule?.FalsePositivesJson) as JsonArray)?
            .Select(Str).Where(s => s.Length > 0).ToList();
        if (falsePositives is { Count: > 0 })
        {
            Section("False positives");
            output.Write(TerminalMarkdown.Render(string.Join("\n", falsePositives.Select(f => "- " + Clean(f))), width, ansi, "  "));
        }

        var note = Text(doc, "kibana.alert.rule.note") ?? rule?.Note;
        Section("Investigation guide");
        output.Write(note is { Length: > 0 } ? TerminalMarkdown.Render(Clean(note, keepLines: true), width, ansi, "  ") : "  (this rule has no investigation guide)\n");
    }

    /// <summary>"pid 412206  apt-get  apt-get install -y curl  [entry: container]" for one level of the process tree.</summary>
    private static string? AncestryRow(JsonObject doc, string path)
    {
        var pid = Text(doc, path + ".pid");
        var name = Text(doc, path + ".name");
        var command = CommandLine(doc, path);
        var entryType = Text(doc, path + ".entry_meta.type");
        if (pid is null && name is null && command is null)
        {
            return null;
        }
        var parts = new List<string> { "pid " + (pid ?? "?"), name ?? "?" };
        if (command is not null && command != name)
        {
            parts.Add(Shorten(Clean(command), 120));
        }
        if (entryType is not null)
        {
            parts.Add($"[entry_meta.type: {entryType}]");
        }
        return string.Join("  ", parts);
    }

    private static string? CommandLine(JsonObject doc, string path)
    {
        var args = JsonFlattener.GetTexts(doc, path + ".args");
        return args.Count > 0 ? string.Join(' ', args) : Text(doc, path + ".command_line");
    }

    /// <summary>The canonical ATT&amp;CK page for an id: T1059.004 is /techniques/T1059/004/.</summary>
    internal static string Link(string id, string kind) =>
        id.Length == 0 ? string.Empty : $"https://attack.mitre.org/{kind}/{id.Replace('.', '/')}/";

    private static string Shorten(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 1), "…");

    /// <summary>
    /// Everything on the page comes from the alert document, which the watched container can shape (command lines, names,
    /// even the rule fields of a document received from elsewhere): no control characters (escape sequences) reach the
    /// terminal. <paramref name="keepLines"/> keeps the line breaks (and tabs) of Markdown.
    /// </summary>
    private static string Clean(string s, bool keepLines = false) => string.Create(s.Length, (s, keepLines), static (span, state) =>
    {
        var (src, keep) = state;
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i];
            span[i] = char.IsControl(c) && !(keep && c is '\n' or '\t') ? ' ' : c;
        }
    });

    private static string Str(JsonNode? node) => node is JsonValue v ? v.ToString() : string.Empty;

    /// <summary>Rule metadata kept by the store; a damaged value is left out rather than failing the page.</summary>
    private static JsonNode? Parse(string? json)
    {
        try
        {
            return json is null ? null : JsonNode.Parse(json, documentOptions: Alert.DocumentOptions);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonObject doc, string path) => Alert.Text(doc, path);

    private static JsonNode? Node(JsonObject doc, string path) =>
        doc.TryGetPropertyValue(path, out var v) ? v : JsonFlattener.Get(doc, path).FirstOrDefault(n => n is not null);
}
