namespace Vigil.Rules.Tests;

public sealed class BuiltInRulesTests
{
    private const string ExpectedQuery = """
        process where host.os.type == "linux" and event.type == "start" and event.action == "exec" and
        process.interactive == true and (
          (process.name in ("apt", "apt-get", "dnf", "microdnf", "yum", "zypper", "tdnf") and process.args == "install") or
          (process.name == "apk" and process.args == "add") or
          (process.name == "pacman" and process.args like "-*S*") or
          (process.name in ("rpm", "dpkg") and process.args in ("-i", "--install"))
        ) and process.args like (
          "curl", "wget", "socat", "busybox", "openssl", "torsocks",
          "netcat", "netcat-openbsd", "netcat-traditional", "ncat", "tor",
          "python*", "perl", "node", "nodejs", "ruby", "lua", "bash", "sh",
          "dash", "zsh", "fish", "tcsh", "csh", "ksh"
        ) and container.id like "?*"

        """;

    [Fact]
    public void Load_BuiltInPack_LoadsCleanly()
    {
        var result = BuiltInRules.Load();

        Assert.Empty(result.Diagnostics);
        Assert.Equal(BuiltInRules.SourceNames.Length, result.FileCount);
        Assert.All(result.Rules, r => Assert.True(r.IsExecutable));
        Assert.Equal("rules: 1 loaded, 0 invalid; eql: 1 compiled, 0 failed; other types: 0", result.Summary.ToString());
    }

    [Fact]
    public void ToolInstallationRule_HasEveryField()
    {
        var loaded = BuiltInRules.Load().ToRuleSet().Find("527d23e6-8b67-4a8e-a6bd-5169b90ab2a8");

        Assert.NotNull(loaded);
        var rule = loaded!.Rule;
        Assert.Equal("Tool Installation Detected via Defend for Containers", rule.Name);
        Assert.Equal(RuleType.Eql, rule.Type);
        Assert.Equal(QueryLanguage.Eql, rule.Language);
        Assert.Equal("5m", rule.Interval);
        Assert.Equal("now-6m", rule.From);
        Assert.Equal(new[] { "logs-cloud_defend.process*" }, rule.Index.ToArray());
        Assert.Equal("event.ingested", rule.TimestampOverride);
        Assert.Equal(21, rule.RiskScore);
        Assert.Equal(RuleSeverity.Low, rule.Severity);
        Assert.Equal(
            new[]
            {
                "Data Source: Elastic Defend for Containers", "Domain: Container", "OS: Linux", "Use Case: Threat Detection",
                "Tactic: Execution", "Resources: Investigation Guide",
            },
            rule.Tags.ToArray());
        Assert.Equal(new[] { "Vigil" }, rule.Author.ToArray());
        Assert.Null(rule.License);
        Assert.Equal(ExpectedQuery, rule.Query);
        Assert.False(string.IsNullOrWhiteSpace(rule.Description));
        Assert.NotEmpty(rule.FalsePositives);

        Assert.Equal("2026/12/03", rule.Metadata.CreationDate);
        Assert.Equal("2026/12/03", rule.Metadata.UpdatedDate);
        Assert.Equal(RuleMaturity.Production, rule.Metadata.Maturity);
        Assert.Equal(new[] { "cloud_defend" }, rule.Metadata.Integration.ToArray());

        Assert.Collection(rule.Threat,
            execution =>
            {
                Assert.Equal("MITRE ATT&CK", execution.Framework);
                Assert.Equal(new ThreatTactic("TA0002", "Execution", "https://attack.mitre.org/tactics/TA0002/"), execution.Tactic);
                var technique = Assert.Single(execution.Techniques);
                Assert.Equal(("T1072", "Software Deployment Tools", "https://attack.mitre.org/techniques/T1072/"),
                    (technique.Id, technique.Name, technique.Reference));
                Assert.Empty(technique.Subtechniques);
            },
            commandAndControl =>
            {
                Assert.Equal(new ThreatTactic("TA0011", "Command and Control", "https://attack.mitre.org/tactics/TA0011/"), commandAndControl.Tactic);
                var technique = Assert.Single(commandAndControl.Techniques);
                Assert.Equal(("T1105", "Ingress Tool Transfer", "https://attack.mitre.org/techniques/T1105/"),
                    (technique.Id, technique.Name, technique.Reference));
            });

        var fields = rule.InvestigationFields!.FieldNames;
        foreach (var field in new[] { "container.id", "process.command_line", "process.entry_leader.name", "user.name", "host.name" })
        {
            Assert.Contains(field, fields);
        }
    }

    [Fact]
    public void ToolInstallationRule_HasAnInvestigationGuide()
    {
        var note = BuiltInRules.Load().Rules.Single().Rule.Note!;

        Assert.StartsWith("## Triage and analysis", note, StringComparison.Ordinal);
        Assert.Contains("### Investigating Tool Installation Detected via Defend for Containers", note, StringComparison.Ordinal);
        Assert.Contains("#### Possible investigation steps", note, StringComparison.Ordinal);
        Assert.Contains("### False positive analysis", note, StringComparison.Ordinal);
        Assert.Contains("### Response and remediation", note, StringComparison.Ordinal);
        foreach (var packageDatabase in new[] { "dpkg.log", "/etc/apk/world", "rpm" })
        {
            Assert.Contains(packageDatabase, note, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ToolInstallationRule_QueryStartsOnTheLineAfterTheDelimiter()
    {
        var rule = BuiltInRules.Load().Rules.Single().Rule;
        var lines = BuiltInRules.ReadText(rule.Source.Path!).Split('\n');

        Assert.StartsWith("builtin/", rule.Source.Path, StringComparison.Ordinal);
        Assert.Equal("query = '''", lines[rule.Source.QueryLine - 2]);
        Assert.StartsWith("process where host.os.type", lines[rule.Source.QueryLine - 1], StringComparison.Ordinal);
        Assert.Equal(1, rule.Source.QueryColumn);
    }

    [Fact]
    public void ToolInstallationRule_RoutesToCloudDefendProcessIndices()
    {
        var set = BuiltInRules.Load().ToRuleSet();

        Assert.Single(set.ForIndex("logs-cloud_defend.process-default"));
        Assert.Single(set.ForIndex(".ds-logs-cloud_defend.process-default-2026.08.21-000001"));
        Assert.Empty(set.ForIndex("logs-endpoint.events.process-default"));
    }

    [Fact]
    public void ReadText_UnknownName_Throws()
    {
        Assert.Throws<ArgumentException>(() => BuiltInRules.ReadText("builtin/nope.toml"));
        Assert.Throws<ArgumentException>(() => BuiltInRules.ReadText("nope.toml"));
    }
}
