using System.CommandLine;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil rules list|validate</c>.</summary>
internal static class RulesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("rules", "Inspect and validate detection rules.");
        command.Subcommands.Add(List(stdout, stderr));
        command.Subcommands.Add(Validate(stdout, stderr));
        return command;
    }

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var rules = new Option<string[]>("--rules")
        {
            Description = "Rule file or directory (repeatable). Default: the built-in rule pack.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("list", "Show the loaded rules.") { rules };
        command.SetAction(parse =>
        {
            var loaded = RuleSources.Load(parse.GetValue(rules), stderr);
            stdout.WriteLine($"{"RULE ID",-36}  {"TYPE",-9}  {"SEVERITY",-8}  {"RISK",4}  {"INTERVAL",-8}  NAME");
            foreach (var r in loaded.Rules.OrderBy(r => r.Rule.Name, StringComparer.Ordinal))
            {
                var rule = r.Rule;
                var note = r.QueryError is not null ? "  [query does not compile]"
                    : rule.IsDeprecated ? "  [deprecated: not run]"
                    : r.IsEql ? string.Empty : "  [not executable yet]";
                stdout.WriteLine($"{rule.RuleId,-36}  {rule.Type.ToString().ToLowerInvariant(),-9}  {rule.Severity.ToString().ToLowerInvariant(),-8}  {rule.RiskScore,4}  {rule.EffectiveInterval,-8}  {rule.Name}{note}");
            }
            stderr.WriteLine(loaded.Summary.ToString());
            return loaded.HasErrors ? Program.Errors : Program.Ok;
        });
        return command;
    }

    private static Command Validate(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Rule files or directories.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Load rule files, check them against the schema and compile their queries.") { paths };
        command.SetAction(parse =>
        {
            // Loading only checks queries (they are compiled where they run); validation compiles each one as well, so that a
            // failure of the compiler itself (RULE030) is reported here too.
            var loaded = Vigil.Rules.RuleLoader.Load(parse.GetValue(paths)!, new Vigil.Rules.RuleLoaderOptions { EqlFields = new Vigil.Eql.FieldTable() });
            foreach (var d in loaded.Diagnostics)
            {
                stdout.WriteLine(d.Render());
            }
            stdout.WriteLine(loaded.Summary.ToString());
            if (loaded.FileCount == 0)
            {
                stderr.WriteLine("vigil: no rule files (*.toml) found under the given paths");
                return Program.Errors;
            }
            return loaded.HasErrors ? Program.Errors : Program.Ok;
        });
        return command;
    }
}
