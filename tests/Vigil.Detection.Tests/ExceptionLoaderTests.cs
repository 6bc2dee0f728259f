using Vigil.Rules;

namespace Vigil.Detection.Tests;

public sealed class ExceptionLoaderTests
{
    private static RuleDiagnostic SingleError(string text, bool toml, string name = "bad.ndjson")
    {
        var set = ExceptionLoader.LoadString(text, name, toml);
        return Assert.Single(set.Diagnostics, d => d.IsError);
    }

    [Fact]
    public void JsonSyntaxError_PointsAtLineAndColumn()
    {
        var d = SingleError("{\"list_id\":\"a\"}\n{\"entries\": [ }", toml: false);
        Assert.Equal(ExceptionDiagnosticCodes.Syntax, d.Code);
        Assert.Equal(2, d.Line);
        Assert.Equal(15, d.Column);
        Assert.StartsWith("bad.ndjson(2,15): error EXC001: invalid JSON", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void JsonSyntaxError_ColumnCountsCharactersNotBytes()
    {
        var d = SingleError("{\"name\":\"Überprüfung\", ]", toml: false);
        Assert.Equal((1, 24), (d.Line, d.Column));
    }

    [Fact]
    public void UnknownOperator_PointsAtTheValue_WithACaret()
    {
        var text = """
            {"list_id":"l","name":"n","type":"simple","entries":[
              {"field":"process.name","operator":"included","type":"match","value":"a"},
              {"field":"user.name","operator":"isnt","type":"match","value":"b"}]}
            """;
        var d = SingleError(text, toml: false);
        Assert.Equal(ExceptionDiagnosticCodes.InvalidValue, d.Code);
        Assert.Equal((3, 35), (d.Line, d.Column));
        Assert.Contains("unknown operator \"isnt\"", d.Message, StringComparison.Ordinal);
        Assert.EndsWith("^^^^^^", d.Render(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"match"}]}""", "EXC010", "missing required key 'value'")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"match","value":7}]}""", "EXC011", "'value' must be a string")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"match_any","value":[]}]}""", "EXC012", "needs at least one value")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"exists","value":"x"}]}""", "EXC012", "takes no 'value'")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"list","list":{"id":"ips","type":"ip"}}]}""", "EXC013", "value-list entries")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","type":"nested","entries":[{"field":"b","type":"nested","entries":[]}]}]}""", "EXC013", "cannot contain another nested entry")]
    [InlineData("""{"list_id":"l","name":"n","entries":[]}""", "EXC012", "'entries' must not be empty")]
    [InlineData("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"regex","value":"x"}]}""", "EXC012", "unknown entry type \"regex\"")]
    [InlineData("""{"name":"n"}""", "EXC003", "not an exception list")]
    public void BadItems_AreRejectedWithAClearMessage(string json, string code, string message)
    {
        var set = ExceptionLoader.LoadString(json, "x.json", toml: false);
        var d = Assert.Single(set.Diagnostics);
        Assert.Equal(code, d.Code);
        Assert.Contains(message, d.Message, StringComparison.Ordinal);
        Assert.Empty(set.Items);
    }

    [Fact]
    public void ABadItem_DoesNotStopTheOthers()
    {
        var set = ExceptionLoader.LoadString("""
            {"list_id":"l","name":"good","entries":[{"field":"a","operator":"included","type":"match","value":"x"}]}
            {"list_id":"l","name":"bad","entries":[{"field":"a","operator":"maybe","type":"match","value":"x"}]}
            {"list_id":"l","name":"good too","entries":[{"field":"a","operator":"excluded","type":"exists"}]}
            """, "x.ndjson", toml: false);
        Assert.Equal(["good", "good too"], set.Items.Select(i => i.Name).ToArray());
        Assert.Equal(2, Assert.Single(set.Diagnostics).Line);
        Assert.Equal((3, 1), (set.Items[1].Source.Line, set.Items[1].Source.Column));
    }

    [Fact]
    public void NdjsonWithABrokenLine_SkipsOnlyThatLine_AndReportsEveryError()
    {
        var set = ExceptionLoader.LoadString("""
            {"list_id":"l","name":"empty","entries":[]}
            {"list_id":"l","name":"good","entries":[{"field":"a","operator":"included","type":"match","value":"x"}]}
            {broken
            {"list_id":"l","name":"good too","entries":[{"field":"a","operator":"excluded","type":"exists"}]}
            {"exported_exception_list_count":1,"exported_exception_list_item_count":2}
            """, "m2.ndjson", toml: false);
        Assert.Equal(["good", "good too"], set.Items.Select(i => i.Name).ToArray());
        Assert.Equal((4, 1), (set.Items[1].Source.Line, set.Items[1].Source.Column));
        Assert.Equal(
            [(1, ExceptionDiagnosticCodes.InvalidValue), (3, ExceptionDiagnosticCodes.Syntax)],
            set.Diagnostics.Select(d => (d.Line, d.Code)).ToArray());
        Assert.StartsWith("m2.ndjson(3,2): error EXC001: invalid JSON", set.Diagnostics[1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PrettyPrintedJsonWithASyntaxError_IsOneError()
    {
        var d = SingleError("[\n  {\"list_id\": \"l\",\n    \"name\": }\n]", toml: false, name: "x.json");
        Assert.Equal((3, 13), (d.Line, d.Column));
    }

    [Fact]
    public void TomlSyntaxError_PointsAtLineAndColumn()
    {
        var d = SingleError("[metadata]\nrule_ids = [\"a\"\n[[exceptions]]\n", toml: true, name: "x.toml");
        Assert.Equal(ExceptionDiagnosticCodes.Syntax, d.Code);
        Assert.Equal("x.toml", d.File);
        Assert.True(d.Line >= 2, d.ToString());
    }

    [Fact]
    public void TomlSchemaError_PointsAtTheKey()
    {
        var toml = """
            [metadata]
            rule_ids = ["r"]

            [[exceptions]]
            [exceptions.container]
            list_id = "l"
            name = "n"
            type = "detection"

            [[exceptions.items]]
            name = "i"
            type = "simple"

            [[exceptions.items.entries]]
            field = "process.name"
            operator = "included"
            type = "match"
            value = 42
            """;
        var d = SingleError(toml, toml: true, name: "x.toml");
        Assert.Equal(ExceptionDiagnosticCodes.WrongType, d.Code);
        Assert.Equal((18, 9), (d.Line, d.Column));
    }

    [Fact]
    public void Directories_LoadTomlJsonAndNdjsonFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-detection-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        const string item = """{"list_id":"l","name":"n","rule_ids":["*"],"entries":[{"field":"a","operator":"included","type":"exists"}]}""";
        File.WriteAllText(Path.Combine(dir, "a.json"), item);
        File.WriteAllText(Path.Combine(dir, "sub", "b.ndjson"), item + "\n" + item);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not loaded");
        var set = ExceptionLoader.Load([dir]);
        Assert.False(set.HasErrors);
        Assert.Equal(3, set.Items.Length);
        Assert.Equal(2, set.FileCount);
        var missing = ExceptionLoader.Load([Path.Combine(dir, "nope.json")]);
        Assert.Equal(ExceptionDiagnosticCodes.ReadFailed, Assert.Single(missing.Diagnostics).Code);
    }

    private static bool MakeFifo(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        using var mk = System.Diagnostics.Process.Start("mkfifo", path);
        mk.WaitForExit();
        return mk.ExitCode == 0;
    }

    [Fact]
    public async Task FifoInAFolder_IsSkippedWithAWarning_AndNamedDirectly_IsAnError()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-detection-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var fifo = Path.Combine(dir, "f.ndjson");
        if (!MakeFifo(fifo))
        {
            return;
        }
        File.WriteAllText(Path.Combine(dir, "good.json"), """{"list_id":"l","name":"n","rule_ids":["*"],"entries":[{"field":"a","operator":"included","type":"exists"}]}""");
        // WaitAsync throws TimeoutException when loading hangs on the FIFO.
        var set = await Task.Run(() => ExceptionLoader.Load([dir])).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Single(set.Items);
        var warning = Assert.Single(set.Diagnostics);
        Assert.Equal((RuleDiagnosticSeverity.Warning, ExceptionDiagnosticCodes.ReadFailed, fifo), (warning.Severity, warning.Code, warning.File));
        Assert.Contains("FIFO", warning.Message, StringComparison.Ordinal);

        var direct = await Task.Run(() => ExceptionLoader.Load([fifo])).WaitAsync(TimeSpan.FromSeconds(5));
        var error = Assert.Single(direct.Diagnostics);
        Assert.True(error.IsError);
        Assert.Contains("FIFO", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DanglingSymlink_IsAWarning_InAFolderAndNamedDirectly()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-detection-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, "gone.toml");
        File.CreateSymbolicLink(link, Path.Combine(dir, "missing.toml"));
        foreach (var path in new[] { dir, link })
        {
            var set = ExceptionLoader.Load([path]);
            var d = Assert.Single(set.Diagnostics);
            Assert.Equal((RuleDiagnosticSeverity.Warning, ExceptionDiagnosticCodes.ReadFailed, link), (d.Severity, d.Code, d.File));
            Assert.Contains("symbolic link", d.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MatchAnyWithAString_IsOneError()
    {
        var set = ExceptionLoader.LoadString("""{"list_id":"l","name":"n","entries":[{"field":"a","operator":"included","type":"match_any","value":"x"}]}""", "x.json", toml: false);
        var d = Assert.Single(set.Diagnostics);
        Assert.Equal(ExceptionDiagnosticCodes.WrongType, d.Code);
        Assert.Empty(set.Items);
    }

    [Fact]
    public void UnknownOsType_IsAnError_ListingTheKnownOnes()
    {
        var set = ExceptionLoader.LoadString("""{"list_id":"l","name":"n","os_types":["linux","windoze"],"entries":[{"field":"a","operator":"included","type":"exists"}]}""", "x.json", toml: false);
        var d = Assert.Single(set.Diagnostics);
        Assert.Equal((ExceptionDiagnosticCodes.InvalidValue, 1, 47), (d.Code, d.Line, d.Column));
        Assert.Contains("unknown os type \"windoze\"; expected linux, macos or windows", d.Message, StringComparison.Ordinal);
        Assert.Empty(set.Items);
    }

    [Fact]
    public void ExpiredItem_IsLoaded_WithAWarningThatItIsNotApplied()
    {
        var set = ExceptionLoader.LoadString("""{"list_id":"l","name":"old","item_id":"i1","expire_time":"2001-02-03T04:05:06Z","entries":[{"field":"a","operator":"included","type":"exists"}]}""", "x.json", toml: false);
        var d = Assert.Single(set.Diagnostics);
        Assert.Equal((RuleDiagnosticSeverity.Warning, ExceptionDiagnosticCodes.Expired), (d.Severity, d.Code));
        Assert.Contains("exception item 'old' (i1) expired at 2001-02-03T04:05:06Z; not applied", d.Message, StringComparison.Ordinal);
        var future = ExceptionLoader.LoadString("""{"list_id":"l","name":"new","expire_time":"2999-01-01T00:00:00Z","entries":[{"field":"a","operator":"included","type":"exists"}]}""", "x.json", toml: false);
        Assert.Empty(future.Diagnostics);
    }

    [Fact]
    public void MissingFile_IsReportedWithoutAPosition()
    {
        var missing = Path.Combine(Path.GetTempPath(), "vigil-detection-tests", Guid.NewGuid().ToString("N"), "nonexist.ndjson");
        var d = Assert.Single(ExceptionLoader.Load([missing]).Diagnostics);
        Assert.StartsWith($"{missing}: error EXC002: ", d.ToString(), StringComparison.Ordinal);
    }
}
