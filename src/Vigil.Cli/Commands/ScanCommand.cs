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
            Description = "Output format: table (default on a terminal), ndjson (one Kibana-shaped alert document per line) or bulk (Elasticsearch _bulk create actions for .alerts-security.alerts-default).",
        };
        format.AcceptOnlyFromAmong("table", "ndjson", "bulk");
        var output = new Option<string?>("--out") { Description = "Write alerts to this file instead of standard output." };
        var strict = new Option<bool>("--strict")
        {
            Description = "Parse every line, also those the literal prefilter proves cannot match any rule, so that every malformed line is reported (slower).",
        };
        var progress = new Option<string>("--progress")
        {
            Description = "Show how far the scan has got on stderr: auto (on a terminal only, default), lines (one line a second, also when redirected) or off.",
            DefaultValueFactory = _ => "auto",
        };
        progress.AcceptOnlyFromAmong("auto", "lines", "off");
        var tempDir = new Option<string?>("--temp-dir")
        {
            Description = "Directory for scratch files (events sorted for sequence rules, line references). Default: $TMPDIR or /tmp.",
        };
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files (.gz accepted); '-' reads standard input.",
            Arity = ArgumentArity.OneOrMore,
        };
        var exceptions = ExceptionSources.CreateOption();
        var replay = new ReplaySettings();
        var command = new Command("scan", "Run detection rules over NDJSON process events and print alerts.")
        {
            rules, index, format, output, inputs, exceptions, strict, progress, tempDir,
        };
        foreach (var option in replay.All)
        {
            command.Options.Add(option);
        }
        var storeOptions = new StoreOptions();
        storeOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var inputPaths = parse.GetValue(inputs)!;
            var outPath = parse.GetValue(output);
            if (outPath is not null && inputPaths.Any(i => i != "-" && SamePath(i, outPath)))
            {
                stderr.WriteLine($"vigil: --out {outPath} is also an input; refusing to overwrite it");
                return Program.Usage;
            }
            if (outPath is not null && Directory.Exists(outPath))
            {
                stderr.WriteLine($"vigil: --out '{outPath}' is a directory; give a file name");
                return Program.Usage;
            }
            if (parse.GetValue(index) is { } indexName && string.IsNullOrWhiteSpace(indexName))
            {
                stderr.WriteLine("vigil: --index needs an index name (e.g. logs-cloud_defend.process-default)");
                return Program.Usage;
            }
            if (parse.GetValue(tempDir) is { } scratch && !Directory.Exists(scratch))
            {
                stderr.WriteLine($"vigil: --temp-dir '{scratch}' is not a directory");
                return Program.Usage;
            }
            if (!replay.TryGet(parse, parse.GetValue(index), stderr, DateTimeOffset.UtcNow, out var replayOptions))
            {
                return Program.Usage;
            }
            var loaded = RuleSources.Load(parse.GetValue(rules), stderr);
            var exceptionSet = ExceptionSources.Load(parse.GetValue(exceptions), parse.GetValue(rules), stderr);
            var job = new ScanJob(loaded.Rules.Select(r => r.Rule), new DetectionOptions { Exceptions = exceptionSet });
            ExceptionSources.Report(exceptionSet, job.Engine, loaded.Rules.Select(r => r.Rule), stderr);
            ScanJob.ReleaseLoadMemory();
            var reported = loaded.Rules.Where(r => r.QueryError is not null).Select(r => r.Rule).ToHashSet();
            foreach (var skipped in job.Engine.Skipped.Where(s => s.IsError && !reported.Contains(s.Rule)))
            {
                stderr.WriteLine($"{skipped.Rule.Source.Path ?? skipped.Rule.RuleId}: error: rule '{skipped.Rule.Name}' cannot run: {skipped.Reason}");
            }
            if (job.Engine.Rules.Count + job.Engine.SequenceRules.Count == 0)
            {
                stderr.WriteLine(loaded.Rules.Length == 0
                    ? "vigil: no rules were loaded; check the --rules paths (files or directories of Elastic rule TOML files)"
                    : $"vigil: none of the {loaded.Rules.Length} loaded rules can run here (only EQL rules run; see the messages above)");
                return Program.Errors;
            }
            var fmt = parse.GetValue(format) ?? (outPath is null && !Console.IsOutputRedirected ? "table" : "ndjson");
            var inputErrors = 0;
            ScanSummary summary;
            string? replayLine = null;
            var scanStarted = false;
            if (!storeOptions.TryOpen(parse, stderr, out var store))
            {
                return Program.Errors;
            }
            try
            {
                var output = OpenSinkOrRelease(fmt, outPath, stdout, store);
                scanStarted = true;
                using var sink = new OutputGuard(store is null ? output : new TeeAlertSink(output, store));
                var printer = replayOptions is null ? ScanProgressPrinter.For(parse.GetValue(progress)!, stderr, alertsToTerminal: outPath is null && !Console.IsOutputRedirected) : null;
                if (replayOptions is not null && parse.GetValue(progress) == "lines")
                {
                    stderr.WriteLine("vigil: note: --progress is not shown with --replay (the replay reports its windows at the end)");
                }
                void OnInputError(InputError e)
                {
                    inputErrors++;
                    printer?.Clear();
                    stderr.WriteLine(e.Render());
                }
                if (replayOptions is not null)
                {
                    var replayed = new ReplayJob(job.Engine).Run(inputPaths, sink, OnInputError, replayOptions);
                    summary = replayed.Scan;
                    replayLine = replayed.ToString();
                    if (replayed.NoEventsWarning is { } warning)
                    {
                        stderr.WriteLine($"vigil: warning: {warning}");
                    }
                }
                else
                {
                    var scanOptions = new ScanOptions
                    {
                        DefaultIndex = parse.GetValue(index),
                        Progress = printer is null ? null : printer.Report,
                        TempDirectory = parse.GetValue(tempDir),
                    };
                    if (parse.GetValue(strict))
                    {
                        scanOptions = scanOptions with { Optimizations = scanOptions.Optimizations with { LiteralPrefilter = false } };
                    }
                    try
                    {
                        summary = job.Run(inputPaths, sink, OnInputError, scanOptions);
                    }
                    finally
                    {
                        printer?.Clear();
                    }
                }
                if (output is TableAlertSink { WroteAny: false })
                {
                    stdout.WriteLine("No alerts.");
                }
            }
            catch (Exception ex) when (ex is AlertOutputException or IOException or UnauthorizedAccessException)
            {
                // Opening the output fails before the guard exists; anything else not from the output comes from the inputs.
                var writing = ex is AlertOutputException || (outPath is not null && ex is IOException or UnauthorizedAccessException && !scanStarted);
                stderr.WriteLine(writing
                    ? $"vigil: cannot write alerts{(outPath is null ? string.Empty : " to " + outPath)}: {ex.Message}"
                    : $"vigil: the scan stopped: {ex.Message}");
                return Program.Errors;
            }
            catch (ArgumentException ex) when (replayOptions is not null)
            {
                stderr.WriteLine($"vigil: {ex.Message}");
                return Program.Usage;
            }
            catch (AlertStoreException ex)
            {
                stderr.WriteLine($"vigil: alert store {ex.Message}");
                return Program.Errors;
            }
            stderr.WriteLine((replayLine ?? summary.ToString()) + (store is null ? string.Empty : "; " + StoreOptions.Summary(store)));
            ExceptionSources.ReportExcepted(job.Engine, stderr);
            return inputErrors > 0 || loaded.HasErrors || exceptionSet.HasErrors || job.Engine.Skipped.Any(s => s.IsError) ? Program.Errors : Program.Ok;
        });
        return command;
    }

    private static bool SamePath(string a, string b)
    {
        try
        {
            // The same file by another name (a symbolic or hard link) counts too: opening the output would empty the input.
            return string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal)
                || FileIdentity.SameFile(a, b);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The output sink; closes the store when the output cannot be opened (the caller's using does not cover it yet).</summary>
    private static IAlertSink OpenSinkOrRelease(string format, string? path, TextWriter stdout, AlertStore? store)
    {
        try
        {
            return OpenSink(format, path, stdout);
        }
        catch
        {
            store?.Dispose();
            throw;
        }
    }

    private static IAlertSink OpenSink(string format, string? path, TextWriter stdout)
    {
        if (format == "bulk")
        {
            return new ElasticBulkAlertSink(path is null ? Console.OpenStandardOutput() : File.Create(path), ownsStream: path is not null);
        }
        if (format == "ndjson")
        {
            var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            return new NdjsonAlertSink(stream, ownsStream: path is not null);
        }
        return path is null ? new TableAlertSink(stdout) : new TableAlertSink(new StreamWriter(path), ownsWriter: true);
    }
}
