using System.CommandLine;
using Vigil.Conformance;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil conformance es DIR</c>: runs Elasticsearch's EQL suite and prints failures and counts.</summary>
internal static class ConformanceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var dir = new Argument<string>("DIR") { Description = "The suite folder (shared/conformance/es)." };
        var filter = new Option<string?>("--filter") { Description = "Only cases whose name contains this text." };
        var es = new Command("es", "Run the Elasticsearch EQL query suite.") { dir, filter };
        es.SetAction(parse =>
        {
            var path = parse.GetValue(dir)!;
            if (!File.Exists(Path.Combine(path, "test_queries.toml")))
            {
                stderr.WriteLine($"vigil: {path}: not an Elasticsearch EQL suite folder (no test_queries.toml)");
                return Program.Usage;
            }
            var summary = EsConformance.Run(path, stdout, new EsConformanceOptions { Filter = parse.GetValue(filter) });
            return summary.UnexpectedFailures.Count > 0 ? Program.Errors : Program.Ok;
        });
        var command = new Command("conformance", "Measure Vigil against external conformance suites.") { es };
        return command;
    }
}
