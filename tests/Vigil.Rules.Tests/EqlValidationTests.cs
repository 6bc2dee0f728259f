namespace Vigil.Rules.Tests;

public sealed class EqlValidationTests
{
    [Fact]
    public void Load_EqlRule_CarriesItsCompiledQuery()
    {
        var loaded = Assert.Single(RuleLoader.LoadString(RuleText.Valid).Rules);

        Assert.NotNull(loaded.Query);
        Assert.True(loaded.IsExecutable);
        Assert.Null(loaded.QueryError);
        Assert.Equal(loaded.Rule.Query, loaded.Query!.Text);
        Assert.Contains(loaded.Query.Fields, f => f.Path == "process.name");
    }

    [Fact]
    public void Load_EqlError_OnLaterQueryLine_IsShiftedToTheFile()
    {
        var text = RuleText.With((RuleText.QueryBody, "process where true and\n  lenght(process.name) > 3"));

        var result = RuleLoader.LoadString(text, "rules/x.toml");

        var loaded = Assert.Single(result.Rules);
        Assert.Null(loaded.Query);
        Assert.False(loaded.IsExecutable);
        var error = Assert.Single(result.Errors);
        Assert.Equal(error, loaded.QueryError);
        Assert.Equal("EQL0203", error.Code);
        // The query text begins on line 19 (TOML drops the newline after '''), so query line 2 is file line 20.
        Assert.Equal((20, 3), (error.Line, error.Column));
        Assert.Equal(
            "rules/x.toml(20,3): error EQL0203: " + error.Message + "\n" +
            "    lenght(process.name) > 3\n" +
            "    ^^^^^^",
            error.Render());
        Assert.Equal("00000000-0000-4000-8000-000000000001", error.RuleId);
    }

    [Fact]
    public void Load_EqlError_OnQueryFirstLine_WhenTextStartsAfterTheDelimiter_ShiftsTheColumn()
    {
        // "query = '''" is 11 characters: the text starts at column 12 of line 18.
        var text = RuleText.With((RuleText.QueryOpen, "query = '''process where lenght(process.name) > 3'''"), (RuleText.QueryBody, ""), (RuleText.QueryClose, ""));

        var error = Assert.Single(RuleLoader.LoadString(text, "x.toml").Errors);

        Assert.Equal("EQL0203", error.Code);
        Assert.Equal((18, 12 + "process where ".Length), (error.Line, error.Column));
    }

    [Fact]
    public void Load_EqlSyntaxError_IsPositioned()
    {
        var text = RuleText.With((RuleText.QueryBody, "process where process.name == \"x\" and and"));

        var error = Assert.Single(RuleLoader.LoadString(text, "x.toml").Errors);

        Assert.StartsWith("EQL", error.Code, StringComparison.Ordinal);
        Assert.Equal(RuleText.QueryBody, error.Line);
        Assert.Equal("process where process.name == \"x\" and ".Length + 1, error.Column);
    }

    [Fact]
    public void Load_EqlFailure_CountsAsInvalid_AndAsFailed()
    {
        var text = RuleText.With((RuleText.QueryBody, "process where lenght(process.name) > 3"));

        var summary = RuleLoader.LoadString(text).Summary;

        // "loaded" means usable: loaded and invalid add up to the files read; eql failures are among the invalid.
        Assert.Equal("rules: 0 loaded, 1 invalid; eql: 0 compiled, 1 failed; other types: 0", summary.ToString());
        Assert.Equal(1, summary.Errors);
    }

    [Fact]
    public void Load_WithoutEqlCompilation_LeavesQueryNull()
    {
        var text = RuleText.With((RuleText.QueryBody, "process where lenght(process.name) > 3"));

        var result = RuleLoader.LoadString(text, options: new RuleLoaderOptions { CompileEql = false });

        Assert.Empty(result.Diagnostics);
        Assert.Null(Assert.Single(result.Rules).Query);
        Assert.Equal("rules: 1 loaded, 0 invalid; eql: 0 compiled, 0 failed; other types: 0", result.Summary.ToString());
    }

    [Fact]
    public void Load_EventCategoryOverride_ReachesTheCompiler()
    {
        var text = RuleText.With((RuleText.Index, "event_category_override = \"event.type\"\ntiebreaker_field = \"event.sequence\""));

        var loaded = Assert.Single(RuleLoader.LoadString(text).Rules);

        Assert.Equal("event.type", loaded.Query!.Options.CategoryField);
        Assert.Equal("event.sequence", loaded.Query.Options.TiebreakerField);
        Assert.Equal("@timestamp", loaded.Query.Options.TimestampField);
    }

    [Fact]
    public void Load_SharedFieldTable_IsFilledInFileOrder()
    {
        var fields = new Vigil.Eql.FieldTable();
        var options = new RuleLoaderOptions { EqlFields = fields };
        var first = RuleText.With((RuleText.QueryBody, "process where process.name == \"a\""));
        var second = RuleText.With(
            (RuleText.RuleId, "rule_id = \"00000000-0000-4000-8000-000000000002\""),
            (RuleText.QueryBody, "process where user.name == \"b\""));

        var result = RuleLoader.LoadStrings([("1.toml", first), ("2.toml", second)], options);

        Assert.All(result.Rules, r => Assert.True(r.IsCompiled));
        Assert.All(result.Rules, r => Assert.Same(fields, r.Query!.FieldTable));
        Assert.True(fields.TryGet("process.name", out var processName));
        Assert.True(fields.TryGet("user.name", out var userName));
        Assert.True(processName!.Slot < userName!.Slot);
    }

    [Fact]
    public void Load_NonEqlRules_AreCountedNotExecutable()
    {
        var kql = RuleText.With(
            (RuleText.RuleId, "rule_id = \"00000000-0000-4000-8000-000000000003\""),
            (RuleText.Language, "language = \"kuery\""),
            (RuleText.Type, "type = \"query\""),
            (RuleText.QueryBody, "process.name : \"x\""));

        var result = RuleLoader.LoadStrings([("kql.toml", kql), ("eql.toml", RuleText.Valid)]);

        Assert.Empty(result.Diagnostics);
        var kqlRule = result.Rules.Single(r => r.Rule.Type == RuleType.Query);
        Assert.Null(kqlRule.Query);
        Assert.False(kqlRule.IsExecutable);
        Assert.Equal("rules: 2 loaded, 0 invalid; eql: 1 compiled, 0 failed; other types: 1", result.Summary.ToString());
    }

    [Fact]
    public void Load_EqlRule_IsCompiledOnlyWhenItsQueryIsRead()
    {
        var loaded = Assert.Single(RuleLoader.LoadString(RuleText.Valid).Rules);

        // Loading checks the query; the closures are built only for whoever reads Query (the engine compiles its own).
        Assert.True(loaded.IsExecutable);
        Assert.False(loaded.IsCompiled);
        var query = loaded.Query;
        Assert.NotNull(query);
        Assert.True(loaded.IsCompiled);
        Assert.Same(query, loaded.Query);
    }

    [Fact]
    public void CompileQuery_OfALoadedRule_ReusesTheLoadersCheck()
    {
        var rule = Assert.Single(RuleLoader.LoadString(RuleText.Valid).Rules).Rule;

        var first = rule.CompileQuery(new Vigil.Eql.FieldTable());
        var second = rule.CompileQuery(new Vigil.Eql.FieldTable());

        // The same checked syntax compiled twice: the text was parsed once, by the loader.
        Assert.Same(first.Syntax, second.Syntax);
        Assert.NotSame(first.FieldTable, second.FieldTable);
    }

    [Fact]
    public void CompileQuery_OfACopyWithAnotherQuery_CompilesThatQuery()
    {
        var rule = Assert.Single(RuleLoader.LoadString(RuleText.Valid).Rules).Rule;

        var copy = rule with { Query = "file where file.name == \"x\"" };

        var query = copy.CompileQuery();
        Assert.Equal(copy.Query, query.Text);
        Assert.Contains(query.Fields, f => f.Path == "file.name");
        Assert.Throws<Vigil.Eql.EqlException>(() => (rule with { Query = "process where lenght(process.name) > 3" }).CompileQuery());
    }
}
