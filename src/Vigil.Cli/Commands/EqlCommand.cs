using System.CommandLine;
using Vigil.Conformance;
using Vigil.Eql;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil eql [options] QUERY INPUT...</c>: runs one EQL query over NDJSON files.</summary>
internal static class EqlCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var timestamp = new Option<string>("--timestamp-field") { Description = "Field holding event time.", DefaultValueFactory = _ => "@timestamp" };
        var tiebreaker = new Option<string?>("--tiebreaker") { Description = "Field ordering events with equal timestamps." };
        var category = new Option<string>("--category-field") { Description = "Field holding the event category.", DefaultValueFactory = _ => "event.category" };
        var size = new Option<int>("--size") { Description = "Maximum results (events, sequences or samples); 0 for all.", DefaultValueFactory = _ => 10 };
        size.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--size must be 0 (all results) or more");
            }
        });
        var perKey = new Option<int>("--max-samples-per-key") { Description = "Samples per join-key combination.", DefaultValueFactory = _ => 1 };
        // A string with lower-case choices, as every other command's --format (an enum shows as <Ndjson|Table>).
        var format = new Option<string>("--format") { Description = "Output format: ndjson (default) or table.", DefaultValueFactory = _ => "ndjson" };
        format.AcceptOnlyFromAmong("ndjson", "table");
        var query = new Argument<string>("QUERY") { Description = "The EQL query." };
        var inputs = new Argument<string[]>("INPUT") { Description = "NDJSON files (plain or gzip); - for standard input.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("eql", "Run an EQL query (event, sequence or sample) over NDJSON events.")
        {
            timestamp, tiebreaker, category, size, perKey, format, query, inputs,
        };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(query)!;
            try
            {
                var summary = EqlSearch.Run(text, parse.GetValue(inputs)!, stdout, stderr, new EqlSearchOptions
                {
                    TimestampField = parse.GetValue(timestamp)!,
                    TiebreakerField = parse.GetValue(tiebreaker),
                    CategoryField = parse.GetValue(category)!,
                    Size = parse.GetValue(size) is var n and > 0 ? n : null,
                    MaxSamplesPerKey = parse.GetValue(perKey),
                    Format = parse.GetValue(format) == "table" ? EqlOutputFormat.Table : EqlOutputFormat.Ndjson,
                });
                stderr.WriteLine($"{summary.Results} results from {summary.EventsRead} events; {summary.Stats}");
                return summary.BadLines > 0 || summary.FailedInputs > 0 ? Program.Errors : Program.Ok;
            }
            catch (EqlException ex)
            {
                stderr.WriteLine(ex.Diagnostic.Render(text, "<query>"));
                return Program.Errors;
            }
        });
        return command;
    }
}
