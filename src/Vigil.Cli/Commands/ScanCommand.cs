using System.CommandLine;
using Vigil.Detection;
using Vigil.Events;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil scan</c>: run detection rules over NDJSON event files.</summary>
internal static class ScanCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var rules = new Option<string[]>("--rules")
        {
            Description = "Rule file or directory of Elastic detection-rule TOML files (repeatable). Default: the built-in rule pack.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var index = new Option<string?>("--index")
        {
            Description = "Index name for events that carry neither _index nor data_stream.* fields (e.g. logs-cloud_defend.process-default).",
        };
        var format = new Option<string?>("--format")
        {
            Description = "Output format: table (default on a terminal) or ndjson (one Kibana-shaped alert document per line).",
        };
        format.AcceptOnlyFromAmong("table", "ndjson");
        var output = new Option<string?>("--out") { Description = "Write alerts to this file instead of standard output." };
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files (.gz accepted); '-' reads standard input.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("scan", "Run detection rules over NDJSON process events and print alerts.")
        {
            rules, index, format, output, inputs,
        };
        command.SetAction(parse =>
        {
            var loaded = RuleSources.Load(parse.GetValue(rules), stderr);
            var job = new ScanJob(loaded.Rules.Select(r => r.Rule));
            foreach (var skipped in job.Engine.Skipped.Where(s => s.IsError))
            {
                stderr.WriteLine($"{skipped.Rule.Source.Path ?? skipped.Rule.RuleId}: error: rule '{skipped.Rule.Name}' cannot run: {skipped.Reason}");
            }
            var outPath = parse.GetValue(output);
            var fmt = parse.GetValue(format) ?? (outPath is null && !Console.IsOutputRedirected ? "table" : "ndjson");
            var inputErrors = 0;
            using var sink = OpenSink(fmt, outPath, stdout);
            var summary = job.Run(parse.GetValue(inputs)!, sink, e =>
            {
                inputErrors++;
                stderr.WriteLine(e.Render());
            }, parse.GetValue(index));
            if (sink is TableAlertSink { WroteAny: false })
            {
                stdout.WriteLine("No alerts.");
            }
            stderr.WriteLine(summary.ToString());
            return inputErrors > 0 || loaded.HasErrors || job.Engine.Skipped.Any(s => s.IsError) ? Program.Errors : Program.Ok;
        });
        return command;
    }

    private static IAlertSink OpenSink(string format, string? path, TextWriter stdout)
    {
        if (format == "ndjson")
        {
            var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            return new NdjsonAlertSink(stream, ownsStream: path is not null);
        }
        return path is null ? new TableAlertSink(stdout) : new TableAlertSink(new StreamWriter(path), ownsWriter: true);
    }
}
