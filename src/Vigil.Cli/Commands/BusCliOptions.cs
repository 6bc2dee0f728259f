using System.CommandLine;
using Vigil.Nats;

namespace Vigil.Cli.Commands;

/// <summary>The NATS options shared by <c>publish</c>, <c>sensor --nats</c>, <c>engine</c> and <c>alerts tail</c>.</summary>
internal sealed class BusCliOptions
{
    private static readonly BusOptions Defaults = new();

    public Option<string> Url { get; } = new("--nats")
    {
        Description = "NATS server URL, or comma-separated URLs of a cluster (nats://127.0.0.1:4222).",
        Required = true,
    };

    public Option<string?> EventsStream { get; } = new("--stream") { Description = $"Events stream name (default {Defaults.EventsStream}); created if missing." };

    public Option<string?> AlertsStream { get; } = new("--alerts-stream") { Description = $"Alerts stream name (default {Defaults.AlertsStream}); created if missing." };

    public Option<int?> Partitions { get; } = new("--partitions") { Description = $"Partitions when creating the events stream (default {Defaults.Partitions}); an existing stream keeps its own." };

    public Option<string?> Retention { get; } = new("--retention") { Description = "Events stream retention when creating it: limits (default; kept for --max-age) or workqueue (removed once processed)." };

    public Option<double?> MaxAgeHours { get; } = new("--max-age-hours") { Description = "Age in hours after which events are removed (limits retention; default 168)." };

    public Option<int?> Replicas { get; } = new("--replicas") { Description = "Stream replicas when creating streams (default 1; 3 on a three-node cluster)." };

    public BusCliOptions(bool eventsStream)
    {
        Retention.AcceptOnlyFromAmong("limits", "workqueue");
        _eventsStream = eventsStream;
    }

    private readonly bool _eventsStream;

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        if (_eventsStream)
        {
            command.Options.Add(EventsStream);
            command.Options.Add(Partitions);
            command.Options.Add(Retention);
            command.Options.Add(MaxAgeHours);
        }
        command.Options.Add(AlertsStream);
        command.Options.Add(Replicas);
    }

    public BusOptions Build(ParseResult parse, string clientName) => new()
    {
        Url = parse.GetValue(Url)!,
        ClientName = clientName,
        EventsStream = parse.GetValue(EventsStream) ?? Defaults.EventsStream,
        AlertsStream = parse.GetValue(AlertsStream) ?? Defaults.AlertsStream,
        Partitions = parse.GetValue(Partitions) ?? Defaults.Partitions,
        Retention = parse.GetValue(Retention) == "workqueue" ? EventRetention.WorkQueue : EventRetention.Limits,
        MaxAge = parse.GetValue(MaxAgeHours) is { } h ? TimeSpan.FromHours(h) : Defaults.MaxAge,
        Replicas = parse.GetValue(Replicas) ?? Defaults.Replicas,
    };
}
