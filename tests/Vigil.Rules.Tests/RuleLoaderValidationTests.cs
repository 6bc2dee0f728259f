namespace Vigil.Rules.Tests;

public sealed class RuleLoaderValidationTests
{
    [Fact]
    public void Load_ValidRule_GivesRuleWithoutDiagnostics()
    {
        var result = RuleLoader.LoadString(RuleText.Valid, "t.toml");

        Assert.Empty(result.Diagnostics);
        var loaded = Assert.Single(result.Rules);
        Assert.Equal("Test Rule", loaded.Rule.Name);
        Assert.Equal(RuleType.Eql, loaded.Rule.Type);
        Assert.Equal(RuleSeverity.Low, loaded.Rule.Severity);
        Assert.Equal(21, loaded.Rule.RiskScore);
        Assert.Equal(RuleMaturity.Production, loaded.Rule.Metadata.Maturity);
        Assert.Equal("2024/01/01", loaded.Rule.Metadata.CreationDate);
        Assert.Equal("t.toml", loaded.Rule.Source.Path);
        Assert.Equal(0, result.InvalidCount);
        Assert.Equal(1, result.FileCount);
    }

    public static TheoryData<string, int, string, string, int, int> SchemaErrors => new()
    {
        // description, line to replace, new text, expected code, expected line, expected column
        { "severity not in enum", RuleText.Severity, "severity = \"extreme\"", "RULE012", 16, 12 },
        { "type not in enum", RuleText.Type, "type = \"sigma\"", "RULE012", 17, 8 },
        { "language not in enum", RuleText.Language, "language = \"sql\"", "RULE012", 12, 12 },
        { "language does not fit type", RuleText.Language, "language = \"kuery\"", "RULE020", 12, 12 },
        { "maturity not in enum", RuleText.Maturity, "maturity = \"ga\"", "RULE012", 4, 12 },
        { "risk score above 100", RuleText.RiskScore, "risk_score = 101", "RULE013", 14, 14 },
        { "risk score below 0", RuleText.RiskScore, "risk_score = -1", "RULE013", 14, 14 },
        { "risk score as string", RuleText.RiskScore, "risk_score = \"21\"", "RULE011", 14, 14 },
        { "risk score as float", RuleText.RiskScore, "risk_score = 21.5", "RULE011", 14, 14 },
        { "interval unit unknown", RuleText.Interval, "interval = \"5x\"", "RULE014", 11, 12 },
        { "interval without unit", RuleText.Interval, "interval = \"5\"", "RULE014", 11, 12 },
        { "interval in weeks", RuleText.Interval, "interval = \"1w\"", "RULE014", 11, 12 },
        { "interval with spaces", RuleText.Interval, "interval = \" 5m\"", "RULE014", 11, 12 },
        { "interval zero seconds", RuleText.Interval, "interval = \"0s\"", "RULE014", 11, 12 },
        { "interval zero minutes", RuleText.Interval, "interval = \"00m\"", "RULE014", 11, 12 },
        { "from without now", RuleText.From, "from = \"6m\"", "RULE015", 9, 8 },
        { "from with bad unit", RuleText.From, "from = \"now-6x\"", "RULE015", 9, 8 },
        { "from with trailing junk", RuleText.From, "from = \"now-6m ago\"", "RULE015", 9, 8 },
        { "rule_id with blanks", RuleText.RuleId, "rule_id = \"not a uuid\"", "RULE016", 15, 11 },
        { "rule_id empty", RuleText.RuleId, "rule_id = \"\"", "RULE016", 15, 11 },
        { "rule_id as integer", RuleText.RuleId, "rule_id = 42", "RULE011", 15, 11 },
        { "creation_date with dashes", RuleText.CreationDate, "creation_date = \"2024-01-01\"", "RULE018", 2, 17 },
        { "creation_date as TOML date", RuleText.CreationDate, "creation_date = 2024-01-01", "RULE011", 2, 17 },
        { "updated_date impossible", RuleText.UpdatedDate, "updated_date = \"2024/13/45\"", "RULE018", 3, 16 },
        { "author not a list", RuleText.Author, "author = \"Vigil\"", "RULE011", 7, 10 },
        { "author item not a string", RuleText.Author, "author = [\"Vigil\", 3]", "RULE011", 7, 20 },
        { "name empty", RuleText.Name, "name = \"  \"", "RULE021", 13, 8 },
        { "empty query", RuleText.QueryBody, "", "RULE021", 18, 9 },
        { "max_signals zero", RuleText.Index, "max_signals = 0", "RULE021", 10, 15 },
        { "building block type unknown", RuleText.Index, "building_block_type = \"sometimes\"", "RULE012", 10, 23 },
        { "to not date math", RuleText.Index, "to = \"later\"", "RULE015", 10, 6 },
    };

    [Theory]
    [MemberData(nameof(SchemaErrors))]
    public void Load_SchemaError_IsPositionedAtTheValue(string what, int line, string text, string code, int expectedLine, int expectedColumn)
    {
        var result = RuleLoader.LoadString(RuleText.With((line, text)), "rules/x.toml");

        var error = Assert.Single(result.Errors);
        Assert.True(error.Code == code, $"{what}: expected {code}, got {error.Render()}");
        Assert.Equal((expectedLine, expectedColumn), (error.Line, error.Column));
        Assert.Equal("rules/x.toml", error.File);
        Assert.Empty(result.Rules);
        Assert.Equal(1, result.InvalidCount);
    }

    public static TheoryData<string, int, string> MissingRuleFields => new()
    {
        { "author", RuleText.Author, "rule.author" },
        { "description", RuleText.Description, "rule.description" },
        { "name", RuleText.Name, "rule.name" },
        { "risk_score", RuleText.RiskScore, "rule.risk_score" },
        { "rule_id", RuleText.RuleId, "rule.rule_id" },
        { "severity", RuleText.Severity, "rule.severity" },
        { "type", RuleText.Type, "rule.type" },
        { "language", RuleText.Language, "rule.language" },
    };

    [Theory]
    [MemberData(nameof(MissingRuleFields))]
    public void Load_MissingRuleField_PointsAtRuleHeader(string field, int line, string qualified)
    {
        var result = RuleLoader.LoadString(RuleText.With((line, "")), "x.toml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.MissingField, error.Code);
        Assert.Equal((RuleText.RuleHeader, 1), (error.Line, error.Column));
        Assert.Contains($"'{qualified}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Equal("x.toml(6,1): error RULE010: missing required field '" + qualified + "'\n  [rule]\n  ^^^^^^", error.Render());
    }

    [Fact]
    public void Load_MissingField_PointsAtRuleHeader_EvenAfterASubTable()
    {
        var text = "[rule.investigation_fields]\nfield_names = [\"host.name\"]\n\n" + RuleText.With((RuleText.Name, ""));

        var error = Assert.Single(RuleLoader.LoadString(text).Errors);

        Assert.Equal((RuleText.RuleHeader + 3, 1), (error.Line, error.Column));
    }

    [Fact]
    public void Load_MissingQuery_PointsAtRuleHeader()
    {
        var result = RuleLoader.LoadString(RuleText.With((RuleText.QueryOpen, ""), (RuleText.QueryBody, ""), (RuleText.QueryClose, "")));

        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.MissingField, error.Code);
        Assert.Equal((RuleText.RuleHeader, 1), (error.Line, error.Column));
        Assert.Contains("'rule.query'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RuleText.CreationDate, "metadata.creation_date")]
    [InlineData(RuleText.UpdatedDate, "metadata.updated_date")]
    public void Load_MissingMetadataField_PointsAtMetadataHeader(int line, string qualified)
    {
        var result = RuleLoader.LoadString(RuleText.With((line, "")));

        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.MissingField, error.Code);
        Assert.Equal((1, 1), (error.Line, error.Column));
        Assert.Contains($"'{qualified}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingTables_AreReported()
    {
        var result = RuleLoader.LoadString("title = \"not a rule\"\n", "x.toml");

        Assert.Equal(2, result.Errors.Count(e => e.Code == RuleDiagnosticCodes.MissingTable));
        Assert.All(result.Errors, e => Assert.Equal((1, 1), (e.Line, e.Column)));
        Assert.Contains(result.Warnings, w => w.Code == RuleDiagnosticCodes.UnknownKey && w.Message.Contains("'title'", StringComparison.Ordinal));
        Assert.Empty(result.Rules);
    }

    [Fact]
    public void Load_SeveralErrors_AreAllReported()
    {
        var result = RuleLoader.LoadString(RuleText.With(
            (RuleText.Severity, "severity = \"extreme\""),
            (RuleText.RiskScore, "risk_score = 500"),
            (RuleText.Interval, "interval = \"forever\""),
            (RuleText.Name, "")), "x.toml");

        Assert.Equal(
            ["RULE010", "RULE012", "RULE013", "RULE014"],
            result.Errors.Select(e => e.Code).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(
            new[] { (6, 1), (11, 12), (14, 14), (16, 12) },
            result.Errors.Select(e => (e.Line, e.Column)).Order().ToArray());
    }

    [Fact]
    public void Load_Error_NamesTheRule()
    {
        var result = RuleLoader.LoadString(RuleText.With((RuleText.Severity, "severity = \"extreme\"")));

        Assert.Equal("00000000-0000-4000-8000-000000000001", Assert.Single(result.Errors).RuleId);
    }

    [Theory]
    [InlineData("now-6m")]
    [InlineData("now-119m")]
    [InlineData("now-7205m")]
    [InlineData("now-1h")]
    [InlineData("now-7d")]
    [InlineData("now-2w")]
    [InlineData("now-1M")]
    [InlineData("now-1y")]
    [InlineData("now-30s")]
    [InlineData("now")]
    [InlineData("now-1d/d")]
    [InlineData("now/d-1h")]
    [InlineData("now-d")]
    [InlineData("2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00Z||-1h")]
    public void Load_FromAcceptsKibanaDateMath(string from)
    {
        var result = RuleLoader.LoadString(RuleText.With((RuleText.From, $"from = \"{from}\"")));

        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("1s")]
    [InlineData("5m")]
    [InlineData("60m")]
    [InlineData("12h")]
    [InlineData("1d")]
    public void Load_IntervalAcceptsDigitsAndUnit(string interval)
    {
        var result = RuleLoader.LoadString(RuleText.With((RuleText.Interval, $"interval = \"{interval}\"")));

        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Load_RuleIdNotLowerCaseUuid_IsAWarningOnly()
    {
        var result = RuleLoader.LoadString(RuleText.With((RuleText.RuleId, "rule_id = \"119c8877-8613-416d-a98a-96b6664ee73a5\"")));

        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(RuleDiagnosticCodes.RuleIdNotUuid, warning.Code);
        Assert.Equal(RuleDiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal((15, 11), (warning.Line, warning.Column));
        Assert.Single(result.Rules);
    }

    [Fact]
    public void Load_ThreatErrors_ArePositioned()
    {
        var text = RuleText.Append(
            "[[rule.threat]]",                                           // 21
            "framework = \"MITRE ATT&CK\"",                              // 22
            "[[rule.threat.technique]]",                                 // 23
            "id = \"T1072\"",                                            // 24
            "name = \"Software Deployment Tools\"",                      // 25
            "reference = \"https://attack.mitre.org/tactics/T1072/\"",   // 26: technique URL under /tactics/
            "[rule.threat.tactic]",                                      // 27
            "id = \"TA0002\"",                                           // 28
            "name = \"Execution\"",                                      // 29
            "[[rule.threat]]",                                           // 30
            "framework = \"MITRE D3FEND\"",                              // 31
            "[rule.threat.tactic]",                                      // 32
            "id = \"TA0011\"",                                           // 33
            "name = \"Command and Control\"",                            // 34
            "reference = \"https://attack.mitre.org/tactics/TA0011\""); // 35: no trailing slash is accepted

        var result = RuleLoader.LoadString(text, "x.toml");

        var errors = result.Errors.Select(e => (e.Code, e.Line, e.Column)).ToArray();
        Assert.Equal(
            new[]
            {
                ("RULE010", 27, 1),  // tactic.reference missing: at the [rule.threat.tactic] header
                ("RULE022", 26, 13), // bad technique reference
                ("RULE012", 31, 13), // unknown framework
            }.Order().ToArray(),
            errors.Order().ToArray());
        Assert.Contains(result.Errors, e => e.Message.Contains("'rule.threat.tactic.reference'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_EsqlRuleWithIndex_IsRejected()
    {
        var text = RuleText.With(
            (RuleText.Language, "language = \"esql\""),
            (RuleText.Type, "type = \"esql\""),
            (RuleText.QueryBody, "from logs-* metadata _id, _version, _index | keep _id, _version, _index"));

        var result = RuleLoader.LoadString(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal(RuleDiagnosticCodes.FieldNotAllowed, error.Code);
        Assert.Equal((RuleText.Index, 1), (error.Line, error.Column));
    }

    [Fact]
    public void Load_UnknownKeys_AreWarnedAndKept()
    {
        var text = RuleText.With((RuleText.Index, "index = [\"logs-*\"]\ncustom_owner = { team = \"blue\", pager = 7 }"));

        var result = RuleLoader.LoadString(text, "x.toml");

        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(RuleDiagnosticCodes.UnknownKey, warning.Code);
        Assert.Equal((11, 1), (warning.Line, warning.Column));
        var rule = Assert.Single(result.Rules).Rule;
        var owner = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(rule.Extensions["custom_owner"]);
        Assert.Equal("blue", owner["team"]);
        Assert.Equal(7L, owner["pager"]);
        Assert.True(rule.RuleTable.ContainsKey("custom_owner"));
        Assert.True(rule.ToAlertParameters().ContainsKey("custom_owner"));
    }

    [Fact]
    public void Load_UnknownKeyWarnings_CanBeTurnedOff()
    {
        var text = RuleText.With((RuleText.Index, "index = [\"logs-*\"]\ncustom_owner = \"blue\""));

        var result = RuleLoader.LoadString(text, options: new RuleLoaderOptions { WarnOnUnknownKeys = false });

        Assert.Empty(result.Diagnostics);
        Assert.Equal("blue", Assert.Single(result.Rules).Rule.Extensions["custom_owner"]);
    }
}
