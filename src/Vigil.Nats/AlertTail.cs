using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Vigil.Nats;

/// <summary>Follows the alerts stream through an ordered (ephemeral, in-order, gap-checked) consumer.</summary>
public static class AlertTail
{
    /// <summary>
    /// Calls <paramref name="onAlert"/> with each alert document (JSON bytes) as it arrives: from the stream's start when
    /// <paramref name="fromStart"/>, else only new ones. Ends when <paramref name="ct"/> is cancelled or, with
    /// <paramref name="idleExit"/>, after that long without an alert. Returns the number of alerts seen.
    /// </summary>
    public static async Task<long> FollowAsync(VigilBus bus, bool fromStart, TimeSpan? idleExit, Func<byte[], ValueTask> onAlert, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(onAlert);
        await bus.EnsureAlertsStreamAsync(ct).ConfigureAwait(false);
        var consumer = await bus.JetStream.CreateOrderedConsumerAsync(bus.Options.AlertsStream, new NatsJSOrderedConsumerOpts
        {
            DeliverPolicy = fromStart ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.New,
        }, ct).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (idleExit is { } first)
        {
            idle.CancelAfter(first);
        }
        long seen = 0;
        try
        {
            await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: idle.Token).ConfigureAwait(false))
            {
                if (idleExit is { } wait)
                {
                    idle.CancelAfter(wait);
                }
                if (msg.Data is { Length: > 0 } data)
                {
                    seen++;
                    await onAlert(data).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            // Idle time reached or the caller stopped us: both are normal ends of a tail.
        }
        return seen;
    }
}
