using System.CommandLine;
using System.Text.Json;
using Vigil.Nats;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil alerts tail</c>: follow the alerts stream on NATS JetStream.</summary>
internal static class AlertsTailCommand
{
    private static readonly (string Title, int Width)[] Columns =
    [
        ("TIME", 27), ("RULE", 40), ("SEVERITY", 8), ("HOST", 16), ("CONTAINER", 12), ("USER", 10), ("COMMAND LINE", 0),
    ];

    /// <summary>The <c>tail</c> subcommand (the <c>alerts</c> group is made in Program.cs).</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bus = new BusCliOptions(eventsStream: false);
        var all = new Option<bool>("--all") { Description = "Start from the first alert in the stream (default: only new alerts)." };
        var idleExit = new Option<double?>("--idle-exit") { Description = "Stop after this many seconds without a new alert." };
        var format = new Option<string?>("--format") { Description = "Output format: table (default on a terminal) or ndjson." };
        format.AcceptOnlyFromAmong("table", "ndjson");
        var command = new Command("tail", "Follow the alerts stream on NATS JetStream and print alerts as they arrive.") { all, idleExit, format };
        bus.AddTo(command);
        command.SetAction(async (parse, outer) =>
        {
            using var termination = new NatsCommands.Termination(outer);
            var ct = termination.Token;
            var options = bus.Build(parse, "vigil-alerts-tail");
            await using var connection = await NatsCommands.ConnectAsync(options, "alerts tail", stderr, ct).ConfigureAwait(false);
            if (connection is null)
            {
                return Program.Errors;
            }
            var table = (parse.GetValue(format) ?? (Console.IsOutputRedirected ? "ndjson" : "table")) == "table";
            var header = false;
            var idle = parse.GetValue(idleExit) is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
            long seen;
            try
            {
                seen = await AlertTail.FollowAsync(connection, parse.GetValue(all), idle, data =>
                {
                    if (!table)
                    {
                        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(data));
                    }
                    else
                    {
                        if (!header)
                        {
                            WriteRow(stdout, Columns.Select(c => c.Title).ToArray());
                            header = true;
                        }
                        WriteRow(stdout, Row(data));
                    }
                    stdout.Flush();
                    return ValueTask.CompletedTask;
                }, ct).ConfigureAwait(false);
            }
            catch (BusUnavailableException ex)
            {
                stderr.WriteLine($"vigil alerts tail: {ex.Message}");
                return Program.Errors;
            }
            stderr.WriteLine($"vigil alerts tail: {seen} alerts");
            return Program.Ok;
        });
        return command;
    }

    private static string[] Row(byte[] data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data, Vigil.Detection.Alert.DocumentOptions);
            var root = doc.RootElement;
            var command = Text(root, "process.command_line");
            return
            [
                Text(root, "kibana.alert.original_time") ?? "-",
                Text(root, "kibana.alert.rule.name") ?? "-",
                Text(root, "kibana.alert.severity") ?? "-",
                Text(root, "host.name") ?? Text(root, "host.hostname") ?? "-",
                Text(root, "container.id") is { Length: > 0 } c ? c[..Math.Min(12, c.Length)] : "-",
                Text(root, "user.name") ?? Text(root, "user.id") ?? "-",
                command ?? Text(root, "process.name") ?? "-",
            ];
        }
        catch (JsonException)
        {
            return ["-", "(not a JSON alert)", "-", "-", "-", "-", "-"];
        }
    }

    /// <summary>A field by dotted key or by nested path (alert documents use both).</summary>
    private static string? Text(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (root.TryGetProperty(path, out var direct))
        {
            return direct.ValueKind == JsonValueKind.String ? direct.GetString() : direct.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : direct.GetRawText();
        }
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        while (dot > 0)
        {
            if (root.TryGetProperty(path[..dot], out var child) && Text(child, path[(dot + 1)..]) is { } found)
            {
                return found;
            }
            dot = path.IndexOf('.', dot + 1);
        }
        return null;
    }

    private static void WriteRow(TextWriter writer, string[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            var width = Columns[i].Width;
            var text = string.Concat(cells[i].Select(ch => char.IsControl(ch) ? ' ' : ch));
            if (width == 0)
            {
                writer.Write(text.Length > 200 ? string.Concat(text.AsSpan(0, 199), "…") : text);
                break;
            }
            writer.Write((text.Length > width ? string.Concat(text.AsSpan(0, width - 1), "…") : text).PadRight(width));
            writer.Write("  ");
        }
        writer.WriteLine();
    }
}
