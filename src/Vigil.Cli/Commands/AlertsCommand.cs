using System.CommandLine;
using Vigil.Detection;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil alerts list|show|set-status</c>: read and triage the alerts kept in the alert store.</summary>
internal static class AlertsCommand
{
    private const int DefaultTableLimit = 100;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("alerts", "List, show and triage the alerts kept in the alert store.");
        command.Subcommands.Add(List(stdout, stderr));
        command.Subcommands.Add(Show(stdout, stderr));
        command.Subcommands.Add(SetStatus(stdout, stderr));
        return command;
    }

    private static Option<string?> StoreOption(string purpose = "read") => new("--store")
    {
        Description = $"Alert store to {purpose}. Default: $VIGIL_HOME/alerts.db, else $XDG_DATA_HOME/vigil/alerts.db, else ~/.local/share/vigil/alerts.db.",
    };

    /// <summary>An option taking one of <paramref name="values"/> in any case (as set-status takes its status), given back in lower case.</summary>
    private static Option<string?> OneOf(string name, string description, params string[] values)
    {
        var option = new Option<string?>(name)
        {
            Description = description,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                var value = values.FirstOrDefault(v => v.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
                if (value is null)
                {
                    result.AddError($"{name}: '{text}' is not one of {string.Join(", ", values)}");
                }
                return value;
            },
        };
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>Whole numbers only, with a message that names the option (not the CLR type it parses into).</summary>
    private static Option<int?> LimitOption() => new("--limit")
    {
        Description = $"At most this many alerts, newest event first (0: all). Default: {DefaultTableLimit} in a table, all in ndjson.",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
            result.AddError(text.StartsWith('-') && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _)
                ? "--limit must be 0 (all) or more"
                : $"--limit: '{text}' is not a whole number (use 0 for all)");
            return null;
        },
    };

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreOption();
        var rule = new Option<string?>("--rule") { Description = "Only alerts of this rule_id." };
        var severity = OneOf("--severity", "Only alerts of this severity.", "low", "medium", "high", "critical");
        var status = OneOf("--status", "Only alerts in this workflow status.", "open", "acknowledged", "closed");
        var since = new Option<string?>("--since") { Description = "Only alerts created at or after this time: ISO-8601 (2026-11-20T09:00:00Z) or back from now (30m, 24h, 7d, now-1h)." };
        var format = OneOf("--format", "table (default on a terminal) or ndjson (the stored alert documents).", "table", "ndjson");
        var limit = LimitOption();
        var buildingBlocks = new Option<bool>("--building-blocks") { Description = "Include the building-block alerts of sequences (hidden by default, as in Kibana)." };
        var command = new Command("list", "List stored alerts, newest event first.") { store, rule, severity, status, since, format, limit, buildingBlocks };
        command.SetAction(parse =>
        {
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } sinceText)
            {
                from = AlertTimes.ParseSince(sinceText, DateTimeOffset.UtcNow, out var error);
                if (from is null)
                {
                    stderr.WriteLine($"vigil: --since: {error}");
                    return Program.Usage;
                }
            }
            var fmt = parse.GetValue(format) ?? (Console.IsOutputRedirected || !ReferenceEquals(stdout, Console.Out) ? "ndjson" : "table");
            var max = parse.GetValue(limit) ?? (fmt == "table" ? DefaultTableLimit : 0);
            if (max < 0)
            {
                stderr.WriteLine("vigil: --limit must be 0 (all) or more");
                return Program.Usage;
            }
            var path = parse.GetValue(store) ?? AlertStore.DefaultPath();
            if (!File.Exists(path))
            {
                stderr.WriteLine($"vigil: no alert store at {Path.GetFullPath(path)} yet (vigil scan and vigil watch create it)");
                if (fmt == "table")
                {
                    stdout.WriteLine("No alerts.");
                }
                return Program.Ok;
            }
            var query = new AlertQuery
            {
                RuleId = parse.GetValue(rule),
                Severity = parse.GetValue(severity),
                Status = AlertStore.TryParseStatus(parse.GetValue(status), out var wanted) ? wanted : null,
                Since = from,
                IncludeBuildingBlocks = parse.GetValue(buildingBlocks),
                // One more than shown tells whether the table was cut short.
                Limit = max == 0 ? null : max + 1,
            };
            return WithStore(path, stderr, s =>
            {
                // A row whose document is damaged is named on stderr and left out; the others are still listed.
                var exit = Program.Ok;
                var alerts = s.List(query).Where(a =>
                {
                    if (a.TryDocument(out _, out var error))
                    {
                        return true;
                    }
                    stderr.WriteLine($"vigil: {Clean(error)}");
                    exit = Program.Errors;
                    return false;
                }).ToList();
                var shown = max == 0 ? alerts : alerts.Take(max).ToList();
                if (fmt == "ndjson")
                {
                    foreach (var a in shown)
                    {
                        stdout.WriteLine(a.DocumentJson);
                    }
                }
                else
                {
                    WriteTable(stdout, shown);
                    if (alerts.Count > shown.Count)
                    {
                        stdout.WriteLine($"(first {max} shown; more match: use --limit N, or --limit 0 for all)");
                    }
                }
                return exit;
            });
        });
        return command;
    }

    private static Command Show(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreOption();
        var uuid = new Argument<string>("UUID") { Description = "The alert's kibana.alert.uuid, or a unique prefix of it." };
        var triage = new Option<bool>("--triage")
        {
            Description = "Also list what the alert's container's package managers installed (vigil triage), when that container still runs on this host.",
        };
        var command = new Command("show", "Show one alert: key facts, MITRE ATT&CK, process ancestry, false positives and the rule's investigation guide.") { store, uuid, triage };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(store) ?? AlertStore.DefaultPath();
            var id = parse.GetValue(uuid)!;
            if (string.IsNullOrWhiteSpace(id))
            {
                stderr.WriteLine("vigil: the alert uuid is empty; give a uuid or a prefix of one");
                return Program.Usage;
            }
            return WithStore(path, stderr, s =>
            {
                var alert = s.Find(id);
                if (alert is null)
                {
                    stderr.WriteLine($"vigil: no alert with uuid '{Clean(id)}' in {s.Path}");
                    return Program.Errors;
                }
                var rule = alert.RuleUuid is { } ru ? s.FindRule(ru) : null;
                var terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
                var ansi = terminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
                var width = terminal ? Math.Clamp(Console.WindowWidth, 40, 120) : 100;
                AlertDetailsWriter.Write(stdout, alert, rule, ansi, width);
                return parse.GetValue(triage) ? TriageCommand.RunForContainer(alert.ContainerId, stdout, stderr) : Program.Ok;
            });
        });
        return command;
    }

    private static Command SetStatus(TextWriter stdout, TextWriter stderr)
    {
        var store = StoreOption("update");
        var args = new Argument<string[]>("UUID... STATUS")
        {
            Description = "One or more alert uuids (or unique prefixes), then open, acknowledged or closed.",
            Arity = new ArgumentArity(2, 100_000),
        };
        var command = new Command("set-status", "Set the workflow status of alerts (kibana.alert.workflow_status): open, acknowledged or closed.") { store, args };
        command.SetAction(parse =>
        {
            var values = parse.GetValue(args)!;
            if (!AlertStore.TryParseStatus(values[^1], out var status))
            {
                stderr.WriteLine($"vigil: '{values[^1]}' is not a status; the last argument must be open, acknowledged or closed");
                return Program.Usage;
            }
            if (values[..^1].Any(string.IsNullOrWhiteSpace))
            {
                stderr.WriteLine("vigil: the alert uuid is empty; give a uuid or a prefix of one");
                return Program.Usage;
            }
            var path = parse.GetValue(store) ?? AlertStore.DefaultPath();
            return WithStore(path, stderr, s =>
            {
                foreach (var (id, previous) in s.SetStatus(values[..^1], status))
                {
                    stdout.WriteLine($"{id}: {previous} -> {AlertStore.StatusText(status)}");
                }
                return Program.Ok;
            });
        });
        return command;
    }

    private static int WithStore(string path, TextWriter stderr, Func<AlertStore, int> action)
    {
        try
        {
            using var store = AlertStore.Open(path, new AlertStoreOptions { ReadOnly = true });
            return action(store);
        }
        catch (Exception ex) when (ex is AlertStoreException or InvalidDataException)
        {
            stderr.WriteLine($"vigil: {Clean(ex.Message)}");
            return Program.Errors;
        }
    }

    private static void WriteTable(TextWriter stdout, List<StoredAlert> alerts)
    {
        if (alerts.Count == 0)
        {
            stdout.WriteLine("No alerts.");
            return;
        }
        const string Row = "{0,-12}  {1,-24}  {2,-8}  {3,-12}  {4,-16}  {5,-12}  {6}";
        stdout.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, Row, "UUID", "EVENT TIME", "SEVERITY", "STATUS", "HOST", "CONTAINER", "RULE"));
        foreach (var a in alerts)
        {
            stdout.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, Row,
                Clean(a.Uuid[..Math.Min(12, a.Uuid.Length)]), Cut(a.OriginalTime ?? "-", 24), Cut(a.Severity ?? "-", 8), Cut(a.Status, 12),
                Cut(a.Host ?? "-", 16), a.ContainerId is { Length: > 0 } c ? Clean(c[..Math.Min(12, c.Length)]) : "-", Cut(a.RuleName, 80)));
        }
    }

    private static string Cut(string s, int max)
    {
        var clean = Clean(s);
        return clean.Length <= max ? clean : string.Concat(clean.AsSpan(0, max - 1), "…");
    }

    /// <summary>Text from an alert document (attacker-controlled) with control characters blanked, so none reaches the terminal.</summary>
    private static string Clean(string s) => new(s.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray());
}
