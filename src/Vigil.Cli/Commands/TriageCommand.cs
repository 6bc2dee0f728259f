using System.CommandLine;
using Vigil.Triage;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil triage</c>: package forensics of a container's root file system.</summary>
internal static class TriageCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var root = new Argument<string?>("ROOT")
        {
            Description = "A root file system: an exported image, a mounted snapshot or /proc/PID/root.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var container = new Option<string?>("--container") { Description = "A running container's id (full or a unique prefix): triage its processes' root." };
        var since = new Option<string?>("--since") { Description = "Timeline from this time on: ISO 8601 (UTC unless a zone is given) or an age such as 90m, 6h, 2d, now-1h." };
        var baseline = new Option<string?>("--baseline") { Description = "Root file system of the image, to diff the packages against." };
        var format = new Option<string?>("--format") { Description = "Output format: table (default) or json." };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("triage", "What did they install? Package-manager records of a container's file system: timeline, packages present, what was added after the image.")
        {
            root, container, since, baseline, format,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(root);
            var id = parse.GetValue(container);
            if ((path is null) == (id is null))
            {
                stderr.WriteLine("vigil triage: give either ROOT or --container ID");
                return Program.Usage;
            }
            if (id is not null && string.IsNullOrWhiteSpace(id))
            {
                stderr.WriteLine("vigil triage: --container needs a container id (or a unique prefix of one)");
                return Program.Usage;
            }
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } text)
            {
                if (!TriageOptions.TryParseSince(text, DateTimeOffset.UtcNow, out var t, out var error))
                {
                    stderr.WriteLine($"vigil triage: --since: {error}");
                    return Program.Usage;
                }
                from = t;
            }
            return Execute(path, id, from, parse.GetValue(baseline), parse.GetValue(format) == "json", stdout, stderr);
        });
        return command;
    }

    /// <summary><c>vigil alerts show --triage</c>: triage the alert's container when it still runs on this host.</summary>
    public static int RunForContainer(string? containerId, TextWriter stdout, TextWriter stderr)
    {
        stdout.WriteLine();
        stdout.WriteLine("Package triage");
        if (string.IsNullOrEmpty(containerId))
        {
            stderr.WriteLine("vigil triage: the alert has no container.id, so there is no container to triage");
            return Program.Errors;
        }
        return Execute(null, containerId, null, null, json: false, stdout, stderr);
    }

    private static int Execute(string? path, string? id, DateTimeOffset? from, string? baseline, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (id is not null)
        {
            try
            {
                var found = ContainerRoots.Find(id);
                stderr.WriteLine($"vigil triage: container {found.ContainerId[..12]}, pid {found.Pid}, root {found.Root}");
                path = found.Root;
            }
            catch (ContainerLookupException ex)
            {
                stderr.WriteLine($"vigil triage: {ex.Message}");
                return Program.Errors;
            }
        }
        TriageReport report;
        try
        {
            report = TriageRunner.Run(path!, new TriageOptions { Since = from, BaselineRoot = baseline });
        }
        catch (DirectoryNotFoundException ex)
        {
            stderr.WriteLine($"vigil triage: {ex.Message}");
            return Program.Errors;
        }
        if (json)
        {
            stdout.Write(ReportWriter.ToJson(report));
        }
        else
        {
            ReportWriter.WriteTable(report, stdout);
        }
        foreach (var w in report.Warnings)
        {
            stderr.WriteLine(w.ToString());
        }
        stderr.WriteLine($"vigil triage: {report.Events.Count} events, {report.Packages.Count} packages, {report.Added.Count} added, {report.Warnings.Count} warnings");
        return report.Warnings.Count > 0 ? Program.Errors : Program.Ok;
    }
}
