using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Vigil.Nats.Tests;

/// <summary>Looks at the streams and consumers from outside, as an operator would.</summary>
internal sealed class BusProbe : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;

    public BusProbe(string url)
    {
        _connection = new NatsConnection(new NatsOpts { Url = url, MaxReconnectRetry = -1 });
        _js = new NatsJSContext(_connection);
    }

    public NatsJSContext JetStream => _js;

    public async Task<long> MessagesAsync(string stream)
    {
        try
        {
            var s = await _js.GetStreamAsync(stream).ConfigureAwait(false);
            return (long)s.Info.State.Messages;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10059)
        {
            return 0;
        }
    }

    /// <summary>Every alert in the alerts stream: (message id header, kibana.alert.uuid of the document).</summary>
    public async Task<List<(string? MsgId, string? Uuid)>> AlertsAsync(string stream = "VIGIL_ALERTS")
    {
        var total = await MessagesAsync(stream).ConfigureAwait(false);
        var result = new List<(string?, string?)>();
        if (total == 0)
        {
            return result;
        }
        var consumer = await _js.CreateOrderedConsumerAsync(stream).ConfigureAwait(false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cts.Token).ConfigureAwait(false))
        {
            string? uuid = null;
            using (var doc = JsonDocument.Parse(msg.Data))
            {
                if (doc.RootElement.TryGetProperty("kibana.alert.uuid", out var v))
                {
                    uuid = v.GetString();
                }
            }
            var msgId = msg.Headers is { } h && h.TryGetValue("Nats-Msg-Id", out var id) ? id.ToString() : null;
            result.Add((msgId, uuid));
            if (msg.Metadata is { } meta && meta.NumPending == 0)
            {
                break;
            }
        }
        return result;
    }

    /// <summary>Messages not yet delivered plus delivered and not acknowledged, over every partition consumer.</summary>
    public async Task<long> BacklogAsync(string stream = "VIGIL_EVENTS", string prefix = "vigil-engine")
    {
        long backlog = 0;
        var consumers = 0;
        await foreach (var c in _js.ListConsumersAsync(stream).ConfigureAwait(false))
        {
            if (c.Info.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                consumers++;
                backlog += (long)c.Info.NumPending + c.Info.NumAckPending;
            }
        }
        return consumers == 0 ? long.MaxValue : backlog;
    }

    public async Task<int> ConsumerCountAsync(string stream = "VIGIL_EVENTS")
    {
        var n = 0;
        await foreach (var _ in _js.ListConsumerNamesAsync(stream).ConfigureAwait(false))
        {
            n++;
        }
        return n;
    }

    public async Task<string?> StreamLeaderAsync(string stream)
    {
        var s = await _js.GetStreamAsync(stream).ConfigureAwait(false);
        return s.Info.Cluster?.Leader;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails with <paramref name="what"/> and the last state.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
            {
                // The cluster may be electing a leader; ask again.
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what()}");
            }
            await Task.Delay(250).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);
}
