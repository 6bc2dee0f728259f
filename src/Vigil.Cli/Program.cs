using System.CommandLine;
using Vigil.Cli.Commands;

namespace Vigil.Cli;

/// <summary>The <c>vigil</c> command: wiring only; the work lives in the libraries.</summary>
internal static class Program
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code when input or rules had errors.</summary>
    public const int Errors = 1;

    /// <summary>Exit code for usage errors.</summary>
    public const int Usage = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Vigil: detection engine for Linux containers that runs Elastic detection rules (EQL) on process events.");
        root.Subcommands.Add(ScanCommand.Create(stdout, stderr));
        root.Subcommands.Add(RulesCommand.Create(stdout, stderr));
        root.Subcommands.Add(SensorCommand.CreateSensor(stdout, stderr));
        root.Subcommands.Add(SensorCommand.CreateWatch(stdout, stderr));
        var alerts = AlertsCommand.Create(stdout, stderr);
        alerts.Subcommands.Add(AlertsTailCommand.Create(stdout, stderr));
        root.Subcommands.Add(alerts);
        root.Subcommands.Add(EqlCommand.Create(stdout, stderr));
        root.Subcommands.Add(ConformanceCommand.Create(stdout, stderr));
        root.Subcommands.Add(TriageCommand.Create(stdout, stderr));
        root.Subcommands.Add(GenerateCommand.Create(stdout, stderr));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr));
        root.Subcommands.Add(NatsCommands.CreatePublish(stdout, stderr));
        root.Subcommands.Add(NatsCommands.CreateEngine(stdout, stderr));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"vigil: {error.Message}");
            }
            stderr.WriteLine("Run 'vigil --help' for usage.");
            return Usage;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
