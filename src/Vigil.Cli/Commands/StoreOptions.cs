using System.CommandLine;
using Vigil.Detection;

namespace Vigil.Cli.Commands;

/// <summary>The alert-store options <c>scan</c> and <c>watch</c> share: on by default, <c>--store PATH</c>, <c>--no-store</c>.</summary>
internal sealed class StoreOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "Alert store (SQLite) to keep alerts in. Default: $VIGIL_HOME/alerts.db, else $XDG_DATA_HOME/vigil/alerts.db, else ~/.local/share/vigil/alerts.db.",
    };

    public Option<bool> NoStore { get; } = new("--no-store") { Description = "Do not keep alerts in the alert store." };

    // For tests and tuning: alerts per transaction, and a line on stderr after each commit listing what became durable.
    public Option<int?> BatchSize { get; } = new("--store-batch") { Hidden = true };

    public Option<bool> Trace { get; } = new("--store-trace") { Hidden = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Store);
        command.Options.Add(NoStore);
        command.Options.Add(BatchSize);
        command.Options.Add(Trace);
    }

    /// <summary>The store to write, null with --no-store; false when it could not be opened (reported on stderr).</summary>
    public bool TryOpen(ParseResult parse, TextWriter stderr, out AlertStore? store)
    {
        store = null;
        var path = parse.GetValue(Store);
        if (parse.GetValue(NoStore))
        {
            if (path is not null)
            {
                stderr.WriteLine("vigil: --store and --no-store contradict each other");
                return false;
            }
            return true;
        }
        try
        {
            var options = new AlertStoreOptions();
            if (parse.GetValue(BatchSize) is { } batch)
            {
                options = options with { BatchSize = Math.Max(1, batch) };
            }
            store = AlertStore.Open(path ?? AlertStore.DefaultPath(), options);
        }
        catch (AlertStoreException ex)
        {
            stderr.WriteLine($"vigil: cannot open the alert store {ex.Message} (use --store PATH or --no-store)");
            return false;
        }
        if (parse.GetValue(Trace))
        {
            stderr.WriteLine($"vigil: store opened {store.Path} at schema version {store.SchemaVersion}");
            store.Committed += c => stderr.WriteLine($"vigil: store committed {c.NewIds.Count} new, {c.ExistingIds.Count} already stored: {string.Join(' ', c.NewIds)}");
        }
        return true;
    }

    public static string Summary(AlertStore store) => $"store: {store.NewAlerts} new, {store.AlreadyStored} already stored ({store.Path})";
}
