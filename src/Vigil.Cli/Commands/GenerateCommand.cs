using System.CommandLine;
using Vigil.Events.Generation;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil generate</c>: write a deterministic synthetic Defend for Containers data set.</summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var events = new Option<long>("--events") { Description = "Number of events (lines) to write.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same file.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Output file (default: standard output)." };
        var command = new Command("generate", "Write synthetic Defend for Containers process and file events as NDJSON (for benchmarks and tests).")
        {
            events, seed, output,
        };
        command.SetAction(parse =>
        {
            var count = parse.GetValue(events);
            if (count < 0)
            {
                stderr.WriteLine("vigil: --events must be 0 or more");
                return Program.Usage;
            }
            var path = parse.GetValue(output);
            try
            {
                using var stream = path is null ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                new EventGenerator(parse.GetValue(seed)).Write(stream, count);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"vigil: cannot write {path ?? "standard output"}: {ex.Message}");
                return Program.Errors;
            }
            if (path is not null)
            {
                stdout.WriteLine($"wrote {count:N0} events ({new FileInfo(path).Length / 1048576.0:F1} MiB) to {path}");
            }
            return Program.Ok;
        });
        return command;
    }
}
