using System.Text.Json;

namespace Vigil.Rules.Tests;

public sealed class RuleModelTests
{
    private const string ThresholdRule = """
        [metadata]
        bypass_bbr_timing = true
        creation_date = "2023/05/01"
        deprecation_date = "2026/01/01"
        deprecated_reason = "replaced"
        integration = "system"
        maturity = "deprecated"
        min_stack_comments = "needs new fields"
        min_stack_version = "9.3.0"
        promotion = false
        updated_date = "2026/01/01"
        future_flag = "kept"

        [rule]
        author = ["Vigil", "Someone"]
        building_block_type = "default"
        description = "Many failed logins."
        enabled = false
        exceptions_list = [{ id = "endpoint_list", list_id = "endpoint_list", namespace_type = "agnostic", type = "endpoint" }]
        false_positives = ["Password spraying tests."]
        from = "now-119m"
        index = ["logs-system.auth-*", "filebeat-*"]
        interval = "60m"
        language = "kuery"
        license = "Apache-2.0"
        max_signals = 1000
        name = "Brute Force"
        note = "guide"
        references = ["https://example.org/a"]
        risk_score = 47
        rule_id = "00000000-0000-4000-8000-0000000000aa"
        rule_name_override = "message"
        setup = "setup text"
        severity = "medium"
        tags = ["Domain: Endpoint", "Rule Type: BBR"]
        timeline_id = "e70679c2-6cde-4510-9764-4823df18f7db"
        timeline_title = "Comprehensive Process Timeline"
        timestamp_override = "event.ingested"
        timestamp_override_fallback_disabled = true
        to = "now"
        type = "threshold"
        query = '''
        event.category:authentication and event.outcome:failure
        '''

        [[rule.filters]]
        [rule.filters.meta]
        negate = true
        [rule.filters.query.wildcard."file.path"]
        case_insensitive = true
        value = "C:\\Windows\\*"

        [[rule.risk_score_mapping]]
        field = "event.risk_score"
        operator = "equals"
        value = ""

        [[rule.severity_mapping]]
        field = "event.severity"
        operator = "equals"
        severity = "high"
        value = "73"

        [rule.alert_suppression.duration]
        unit = "h"
        value = 2

        [rule.investigation_fields]
        field_names = ["user.name", "source.ip"]

        [rule.threshold]
        field = ["user.name", "source.ip"]
        value = 25
        [[rule.threshold.cardinality]]
        field = "user.name"
        value = 5

        [[rule.threat]]
        framework = "MITRE ATT&CK"
        [[rule.threat.technique]]
        id = "T1110"
        name = "Brute Force"
        reference = "https://attack.mitre.org/techniques/T1110/"
        [[rule.threat.technique.subtechnique]]
        id = "T1110.003"
        name = "Password Spraying"
        reference = "https://attack.mitre.org/techniques/T1110/003/"
        [rule.threat.tactic]
        id = "TA0006"
        name = "Credential Access"
        reference = "https://attack.mitre.org/tactics/TA0006/"

        [transform]
        [[transform.osquery]]
        label = "Osquery - Users"
        query = "SELECT * FROM users WHERE username = {{user.name}}"

        [[transform.investigate]]
        label = "Alerts for the user"
        description = ""
        providers = [
          [
            { excluded = false, field = "event.kind", queryType = "phrase", value = "signal", valueType = "string" },
            { excluded = true, field = "user.name", queryType = "phrase", value = "{{user.name}}", valueType = "string" }
          ]
        ]
        relativeFrom = "now-48h/h"
        relativeTo = "now"
        """;

    private static DetectionRule LoadOne(string toml)
    {
        var result = RuleLoader.LoadString(toml, "t.toml");
        Assert.True(result.Errors.FirstOrDefault() is null, result.Errors.FirstOrDefault()?.Render());
        return Assert.Single(result.Rules).Rule;
    }

    [Fact]
    public void Load_ThresholdRule_KeepsEveryField()
    {
        var result = RuleLoader.LoadString(ThresholdRule, "t.toml");
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal((RuleDiagnosticCodes.UnknownKey, 12, 1), (warning.Code, warning.Line, warning.Column));
        var rule = Assert.Single(result.Rules).Rule;

        var meta = rule.Metadata;
        Assert.True(meta.BypassBbrTiming);
        Assert.Equal("2026/01/01", meta.DeprecationDate);
        Assert.Equal("replaced", meta.DeprecatedReason);
        Assert.Equal(new[] { "system" }, meta.Integration.ToArray());
        Assert.Equal(RuleMaturity.Deprecated, meta.Maturity);
        Assert.Equal("needs new fields", meta.MinStackComments);
        Assert.Equal("9.3.0", meta.MinStackVersion);
        Assert.False(meta.Promotion);
        Assert.Equal("kept", meta.Extensions["future_flag"]);
        Assert.True(rule.IsDeprecated);

        Assert.Equal(new[] { "Vigil", "Someone" }, rule.Author.ToArray());
        Assert.Equal("default", rule.BuildingBlockType);
        Assert.True(rule.IsBuildingBlock);
        Assert.False(rule.Enabled);
        Assert.Equal("endpoint_list", Assert.Single(rule.ExceptionsList)["list_id"]);
        Assert.Equal("Password spraying tests.", Assert.Single(rule.FalsePositives));
        Assert.Equal(("now-119m", "now", "60m"), (rule.From, rule.To, rule.Interval));
        Assert.Equal(new[] { "logs-system.auth-*", "filebeat-*" }, rule.Index.ToArray());
        Assert.Equal(QueryLanguage.Kuery, rule.Language);
        Assert.Equal("Apache-2.0", rule.License);
        Assert.Equal(1000, rule.MaxSignals);
        Assert.Equal(("guide", "setup text"), (rule.Note, rule.Setup));
        Assert.Equal(47, rule.RiskScore);
        Assert.Equal("message", rule.RuleNameOverride);
        Assert.Equal(RuleSeverity.Medium, rule.Severity);
        Assert.Equal("Comprehensive Process Timeline", rule.TimelineTitle);
        Assert.Equal("e70679c2-6cde-4510-9764-4823df18f7db", rule.TimelineId);
        Assert.Equal("event.ingested", rule.TimestampOverride);
        Assert.True(rule.TimestampOverrideFallbackDisabled);
        Assert.Equal(RuleType.Threshold, rule.Type);
        Assert.Equal("event.category:authentication and event.outcome:failure\n", rule.Query);

        var filter = Assert.Single(rule.Filters);
        var wildcard = (IReadOnlyDictionary<string, object?>)((IReadOnlyDictionary<string, object?>)((IReadOnlyDictionary<string, object?>)filter["query"]!)["wildcard"]!)["file.path"]!;
        Assert.Equal("C:\\Windows\\*", wildcard["value"]);
        Assert.Equal(true, wildcard["case_insensitive"]);

        Assert.Equal(new RiskScoreMapping("event.risk_score", "equals", "", null), Assert.Single(rule.RiskScoreMapping));
        Assert.Equal(new SeverityMapping("event.severity", "equals", "73", RuleSeverity.High), Assert.Single(rule.SeverityMapping));
        Assert.Equal(new SuppressionDuration("h", 2), rule.AlertSuppression!.Duration);
        Assert.Equal(TimeSpan.FromHours(2), rule.AlertSuppression.Duration!.ToTimeSpan());
        Assert.Empty(rule.AlertSuppression.GroupBy);
        Assert.Equal(new[] { "user.name", "source.ip" }, rule.InvestigationFields!.FieldNames.ToArray());
        Assert.Equal(new[] { "user.name", "source.ip" }, rule.Threshold!.Fields.ToArray());
        Assert.Equal(25, rule.Threshold.Value);
        Assert.Equal(new ThresholdCardinality("user.name", 5), Assert.Single(rule.Threshold.Cardinality));

        var threat = Assert.Single(rule.Threat);
        Assert.Equal("TA0006", threat.Tactic.Id);
        var sub = Assert.Single(Assert.Single(threat.Techniques).Subtechniques);
        Assert.Equal(new ThreatSubtechnique("T1110.003", "Password Spraying", "https://attack.mitre.org/techniques/T1110/003/"), sub);

        var transform = rule.Transform!;
        Assert.Equal("SELECT * FROM users WHERE username = {{user.name}}", Assert.Single(transform.Osquery).Query);
        var investigate = Assert.Single(transform.Investigate);
        Assert.Equal(("Alerts for the user", "", "now-48h/h", "now"), (investigate.Label, investigate.Description, investigate.RelativeFrom, investigate.RelativeTo));
        Assert.Equal(
            new[]
            {
                new InvestigateProvider("event.kind", "signal", "phrase", "string", false),
                new InvestigateProvider("user.name", "{{user.name}}", "phrase", "string", true),
            },
            Assert.Single(investigate.Providers).ToArray());
        Assert.True(rule.Raw.ContainsKey("transform"));
    }

    [Fact]
    public void Load_NewTermsRule_ReadsNewTerms()
    {
        var rule = LoadOne(RuleText.With(
            (RuleText.Language, "language = \"kuery\""),
            (RuleText.Type, "type = \"new_terms\""),
            (RuleText.QueryBody, "event.category:process")) + """

            [rule.new_terms]
            field = "new_terms_fields"
            value = ["host.id", "user.name"]
            [[rule.new_terms.history_window_start]]
            field = "history_window_start"
            value = "now-14d"
            """);

        Assert.Equal(new[] { "host.id", "user.name" }, rule.NewTerms!.Value.ToArray());
        Assert.Equal("now-14d", rule.NewTerms.HistoryWindowStartValue);
        var parameters = rule.ToAlertParameters();
        Assert.False(parameters.ContainsKey("new_terms"));
        Assert.Equal(new object?[] { "host.id", "user.name" }, ((IReadOnlyList<object?>)parameters["new_terms_fields"]!).ToArray());
        Assert.Equal("now-14d", parameters["history_window_start"]);
    }

    [Fact]
    public void Load_NewTermsRule_WithoutNewTerms_IsAnError()
    {
        var result = RuleLoader.LoadString(RuleText.With(
            (RuleText.Language, "language = \"kuery\""),
            (RuleText.Type, "type = \"new_terms\""),
            (RuleText.QueryBody, "event.category:process")));

        var error = Assert.Single(result.Errors);
        Assert.Equal((RuleDiagnosticCodes.MissingField, RuleText.RuleHeader, 1), (error.Code, error.Line, error.Column));
        Assert.Contains("'rule.new_terms'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ThreatMatchRule_ReadsMappings()
    {
        var rule = LoadOne(RuleText.With(
            (RuleText.Language, "language = \"kuery\""),
            (RuleText.Type, "type = \"threat_match\""),
            (RuleText.QueryBody, "file.hash.*:*")) + """
            threat_index = ["logs-ti_*"]
            threat_indicator_path = "threat.indicator"
            threat_language = "kuery"
            threat_query = "@timestamp >= \"now-30d/d\""
            concurrent_searches = 2
            items_per_search = 100

            [[rule.threat_mapping]]
            [[rule.threat_mapping.entries]]
            field = "file.hash.sha256"
            type = "mapping"
            value = "threat.indicator.file.hash.sha256"
            """);

        Assert.Equal(new[] { "logs-ti_*" }, rule.ThreatIndex.ToArray());
        Assert.Equal("threat.indicator", rule.ThreatIndicatorPath);
        Assert.Equal(QueryLanguage.Kuery, rule.ThreatLanguage);
        Assert.Equal("@timestamp >= \"now-30d/d\"", rule.ThreatQuery);
        Assert.Equal((2, 100), (rule.ConcurrentSearches, rule.ItemsPerSearch));
        var entry = Assert.Single(Assert.Single(rule.ThreatMapping).Entries);
        Assert.Equal(new ThreatMatchEntry("file.hash.sha256", "mapping", "threat.indicator.file.hash.sha256", null), entry);
    }

    [Fact]
    public void Load_MachineLearningRule_NeedsNoQuery()
    {
        var rule = LoadOne("""
            [metadata]
            creation_date = "2020/01/01"
            updated_date = "2020/01/01"

            [rule]
            anomaly_threshold = 75
            author = ["Vigil"]
            description = "Rare process."
            machine_learning_job_id = ["v3_rare_process", "v3_linux_rare"]
            name = "Rare Process"
            risk_score = 21
            rule_id = "00000000-0000-4000-8000-0000000000ml"
            severity = "low"
            type = "machine_learning"
            """.Replace("0000000000ml", "0000000000ff", StringComparison.Ordinal));

        Assert.Equal(75, rule.AnomalyThreshold);
        Assert.Equal(new[] { "v3_rare_process", "v3_linux_rare" }, rule.MachineLearningJobId.ToArray());
        Assert.Null(rule.Query);
        Assert.Null(rule.Metadata.Maturity);
    }

    [Fact]
    public void Load_MachineLearningRule_WithoutJob_IsAnError()
    {
        var result = RuleLoader.LoadString("""
            [metadata]
            creation_date = "2020/01/01"
            updated_date = "2020/01/01"

            [rule]
            author = ["Vigil"]
            description = "Rare process."
            name = "Rare Process"
            risk_score = 21
            rule_id = "00000000-0000-4000-8000-0000000000ff"
            severity = "low"
            type = "machine_learning"
            """);

        Assert.Equal(
            new[] { "'rule.anomaly_threshold'", "'rule.machine_learning_job_id'" },
            result.Errors.Select(e => e.Message[e.Message.IndexOf('\'', StringComparison.Ordinal)..]).Order(StringComparer.Ordinal).ToArray());
        Assert.All(result.Errors, e => Assert.Equal((5, 1), (e.Line, e.Column)));
    }

    [Fact]
    public void ToAlertParameters_IsKibanaShaped_AndSerialises()
    {
        var rule = LoadOne(ThresholdRule);

        var parameters = rule.ToAlertParameters();

        foreach (var ruleObjectKey in new[] { "name", "tags", "interval", "enabled" })
        {
            Assert.False(parameters.ContainsKey(ruleObjectKey), ruleObjectKey);
        }
        Assert.Equal("00000000-0000-4000-8000-0000000000aa", parameters["rule_id"]);
        Assert.Equal(47L, parameters["risk_score"]);
        Assert.Equal("now-119m", parameters["from"]);
        Assert.Equal(1000L, parameters["max_signals"]);
        Assert.Equal(1L, parameters["version"]);
        Assert.Empty((IReadOnlyList<object?>)parameters["related_integrations"]!);
        Assert.True(parameters.ContainsKey("threshold"));
        Assert.True(parameters.ContainsKey("filters"));

        var json = JsonSerializer.Serialize(parameters);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(25, doc.RootElement.GetProperty("threshold").GetProperty("value").GetInt32());
        Assert.Equal("TA0006", doc.RootElement.GetProperty("threat")[0].GetProperty("tactic").GetProperty("id").GetString());
        Assert.Equal("C:\\Windows\\*", doc.RootElement.GetProperty("filters")[0].GetProperty("query").GetProperty("wildcard").GetProperty("file.path").GetProperty("value").GetString());
    }

    [Fact]
    public void ToAlertParameters_FillsKibanaDefaults()
    {
        var rule = LoadOne(RuleText.With((RuleText.From, ""), (RuleText.Interval, "")) + """
            [[rule.threat]]
            framework = "MITRE ATT&CK"
            [rule.threat.tactic]
            id = "TA0002"
            name = "Execution"
            reference = "https://attack.mitre.org/tactics/TA0002/"
            """);

        var parameters = rule.ToAlertParameters();

        Assert.Equal("now-6m", parameters["from"]);
        Assert.Equal("now", parameters["to"]);
        Assert.Equal(100L, parameters["max_signals"]);
        foreach (var list in new[] { "false_positives", "references", "risk_score_mapping", "severity_mapping", "exceptions_list", "required_fields" })
        {
            Assert.Empty((IReadOnlyList<object?>)parameters[list]!);
        }
        var threat = (IReadOnlyDictionary<string, object?>)((IReadOnlyList<object?>)parameters["threat"]!)[0]!;
        Assert.Empty((IReadOnlyList<object?>)threat["technique"]!);
        Assert.Equal("5m", rule.EffectiveInterval);
        Assert.Equal("now-6m", rule.EffectiveFrom);
        Assert.Equal(100, rule.EffectiveMaxSignals);
        Assert.Equal("event.category", rule.EffectiveEventCategoryField);
        Assert.Equal("@timestamp", rule.EffectiveTimestampField);
    }

    [Fact]
    public void RuleTable_KeepsFileOrder()
    {
        var rule = LoadOne(RuleText.Valid);

        Assert.Equal(
            new[] { "author", "description", "from", "index", "interval", "language", "name", "risk_score", "rule_id", "severity", "type", "query" },
            rule.RuleTable.Keys.ToArray());
        Assert.Equal(new[] { "metadata", "rule" }, rule.Raw.Keys.ToArray());
    }

    [Fact]
    public void Raw_SharesItsTablesWithRuleTableAndMetadata()
    {
        var rule = LoadOne(RuleText.Append("[transform]", "[[transform.osquery]]", "label = \"l\"", "query = \"SELECT 1\""));

        // One copy of each table, however many views of it the model offers.
        Assert.Same(rule.Raw["rule"], rule.RuleTable);
        Assert.Same(rule.Raw["metadata"], rule.Metadata.Raw);
        Assert.Same(rule.Raw["transform"], rule.Transform!.Raw);
    }

    [Fact]
    public void Load_RulesLoadedTogether_ShareTheirRepeatedTexts()
    {
        var second = RuleText.With((RuleText.RuleId, "rule_id = \"00000000-0000-4000-8000-000000000002\""));

        var rules = RuleLoader.LoadStrings([("1.toml", RuleText.Valid), ("2.toml", second)]).Rules.Select(r => r.Rule).ToArray();

        // Each file is parsed on its own, yet the texts both repeat are kept once.
        Assert.Equal(2, rules.Length);
        Assert.Same(rules[0].Author[0], rules[1].Author[0]);
        Assert.Same(rules[0].Description, rules[1].Description);
        Assert.Same(rules[0].RuleTable.Keys.First(), rules[1].RuleTable.Keys.First());
        Assert.NotSame(rules[0].RuleId, rules[1].RuleId);
    }

    [Fact]
    public void RuleEnumNames_RoundTrip()
    {
        foreach (var type in Enum.GetValues<RuleType>())
        {
            Assert.True(RuleEnumNames.TryParseRuleType(type.ToWireName(), out var back));
            Assert.Equal(type, back);
        }
        Assert.Equal("threat_match", RuleType.ThreatMatch.ToWireName());
        Assert.False(RuleEnumNames.TryParseSeverity("High", out _));
        Assert.False(RuleEnumNames.TryParseSeverity("2", out _));
    }
}
