using Vigil.Rules;

namespace Vigil.Detection.Tests;

public sealed class EngineCompileTests
{
    [Fact]
    public void Engine_CompilesTheQueryTheLoaderChecked_WithoutParsingItAgain()
    {
        var loaded = Assert.Single(RuleLoader.LoadString(DetectionTestKit.ForkThenPackageManagerToml()).Rules);
        var alone = loaded.Rule.CompileQuery();

        var engine = new DetectionEngine([loaded.Rule]);

        var active = Assert.Single(engine.SequenceRules);
        Assert.Same(alone.Syntax, active.Query.Syntax);
        Assert.Same(engine.Fields, active.Query.FieldTable);
    }

    [Fact]
    public void Engine_GivenACopyWithAnotherQuery_RunsThatQuery()
    {
        var loaded = Assert.Single(RuleLoader.LoadString(DetectionTestKit.ForkThenPackageManagerToml()).Rules);

        var engine = new DetectionEngine([loaded.Rule with { Query = "process where process.name == \"x\"" }]);

        var active = Assert.Single(engine.Rules);
        Assert.Empty(engine.SequenceRules);
        Assert.Equal("process where process.name == \"x\"", active.Query.Text);
    }
}
