using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Vigil.Nats;

/// <summary>The server could not be reached (or kept refusing) for longer than the caller was willing to wait.</summary>
public sealed class BusUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BusUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// One connection to the NATS server (or cluster) with JetStream, and the two streams Vigil uses. Connection changes are
/// logged: a lost connection is retried forever by the client, and the log shows how long it was down.
/// </summary>
public sealed class VigilBus : IAsyncDisposable
{
    private const string PartitionsTag = "partitions=";
    private readonly TextWriter _log;

    private VigilBus(BusOptions options, NatsConnection connection, TextWriter log)
    {
        Options = options;
        Connection = connection;
        _log = log;
        JetStream = new NatsJSContext(connection);
    }

    /// <summary>The settings.</summary>
    public BusOptions Options { get; }

    /// <summary>The connection.</summary>
    public NatsConnection Connection { get; }

    /// <summary>JetStream on the connection.</summary>
    public NatsJSContext JetStream { get; }

    /// <summary>Partitions of the events stream (known after <see cref="EnsureEventsStreamAsync"/>).</summary>
    public int Partitions { get; private set; }

    /// <summary>
    /// Connects; throws <see cref="BusUnavailableException"/> with the URL when the first connection fails (a process that
    /// cannot reach the server at start must say so, not wait silently). Later losses are retried without end.
    /// </summary>
    public static async Task<VigilBus> ConnectAsync(BusOptions options, TextWriter log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        log = TextWriter.Synchronized(log);
        var connection = new NatsConnection(new NatsOpts
        {
            Url = options.Url,
            Name = options.ClientName,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            RetryOnInitialConnect = false,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });
        var bus = new VigilBus(options, connection, log);
        var down = (DateTime?)null;
        connection.ConnectionDisconnected += (_, e) =>
        {
            down ??= DateTime.UtcNow;
            log.WriteLine($"vigil: NATS connection lost ({e.Message}); reconnecting");
            return ValueTask.CompletedTask;
        };
        connection.ConnectionOpened += (_, e) =>
        {
            if (down is { } since)
            {
                log.WriteLine($"vigil: NATS connection restored to {e.Message} after {(DateTime.UtcNow - since).TotalSeconds:F1} s");
                down = null;
            }
            return ValueTask.CompletedTask;
        };
        connection.SlowConsumerDetected += (_, e) =>
        {
            log.WriteLine($"vigil: warning: slow consumer on {e.Subscription.Subject}: the client dropped messages (they will be redelivered)");
            return ValueTask.CompletedTask;
        };
        connection.ServerError += (_, e) =>
        {
            log.WriteLine($"vigil: NATS server error: {e.Error}");
            return ValueTask.CompletedTask;
        };
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new BusUnavailableException($"cannot connect to NATS at {options.Url}: {ex.Message}", ex);
        }
        return bus;
    }

    /// <summary>
    /// Creates the events stream when missing (subjects <c>{prefix}.&gt;</c>, the configured retention, replicas and
    /// partitions) and returns its partition count, which the stream's description carries.
    /// </summary>
    public async Task<int> EnsureEventsStreamAsync(CancellationToken ct = default)
    {
        var config = new StreamConfig(Options.EventsStream, [Options.EventsSubjectPrefix + ".>"])
        {
            Description = $"Vigil process events; {PartitionsTag}{Options.Partitions}",
            Retention = Options.Retention == EventRetention.WorkQueue ? StreamConfigRetention.Workqueue : StreamConfigRetention.Limits,
            MaxAge = Options.MaxAge,
            NumReplicas = Options.Replicas,
            Storage = StreamConfigStorage.File,
            Discard = StreamConfigDiscard.Old,
            // Publishers retry when an acknowledgement is lost; the message id (a hash of the event) drops the second copy.
            DuplicateWindow = TimeSpan.FromMinutes(2),
        };
        var info = await EnsureStreamAsync(config, ct).ConfigureAwait(false);
        Partitions = ParsePartitions(info.Config.Description) ?? Options.Partitions;
        if (Partitions != Options.Partitions && Options.Partitions != new BusOptions().Partitions)
        {
            _log.WriteLine($"vigil: note: stream {Options.EventsStream} has {Partitions} partitions; using them, not {Options.Partitions}");
        }
        return Partitions;
    }

    /// <summary>Creates the alerts stream when missing (duplicate window <see cref="BusOptions.DuplicateWindow"/>).</summary>
    public async Task EnsureAlertsStreamAsync(CancellationToken ct = default)
    {
        var config = new StreamConfig(Options.AlertsStream, [Options.AlertsSubjectPrefix + ".>"])
        {
            Description = "Vigil alerts (Kibana alert documents; message id = kibana.alert.uuid)",
            Retention = StreamConfigRetention.Limits,
            NumReplicas = Options.Replicas,
            Storage = StreamConfigStorage.File,
            DuplicateWindow = Options.DuplicateWindow,
        };
        await EnsureStreamAsync(config, ct).ConfigureAwait(false);
    }

    private async Task<StreamInfo> EnsureStreamAsync(StreamConfig config, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var existing = await JetStream.GetStreamAsync(config.Name!, cancellationToken: ct).ConfigureAwait(false);
                return existing.Info;
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10059)
            {
                // Not found: create it below.
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                // A cluster that is still electing its meta leader answers nothing for a few seconds.
                await Task.Delay(500, ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                var created = await JetStream.CreateStreamAsync(config, ct).ConfigureAwait(false);
                _log.WriteLine($"vigil: created stream {config.Name} ({string.Join(", ", config.Subjects ?? [])}, replicas {config.NumReplicas})");
                return created.Info;
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10058)
            {
                // Someone else created it meanwhile: read theirs.
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Errors worth retrying: no responder yet, timeouts, a connection being re-established, a cluster electing a leader.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        NatsJSApiException api => api.Error.Code is 503 or 504 or 408,
        NatsJSException or NatsNoRespondersException or NatsNoReplyException or NatsException => true,
        TimeoutException => true,
        OperationCanceledException => true,
        _ => false,
    };

    private static int? ParsePartitions(string? description)
    {
        if (description is null)
        {
            return null;
        }
        var at = description.IndexOf(PartitionsTag, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var digits = new string(description.AsSpan(at + PartitionsTag.Length).ToArray().TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
        {
            // Closing unsubscribes politely; with the server gone that times out, and there is nothing left to lose.
        }
    }
}
