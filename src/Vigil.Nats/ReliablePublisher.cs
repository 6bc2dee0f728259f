using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Vigil.Nats;

/// <summary>
/// Publishes to JetStream and waits for the server's acknowledgement, retrying while the server is unreachable, electing a
/// leader or timing out, until <c>giveUpAfter</c> has passed without success. Every message carries a message id, so a retry
/// of a message whose acknowledgement was lost is dropped by the server's duplicate window rather than stored twice.
/// </summary>
internal sealed class ReliablePublisher(NatsJSContext js, TextWriter log, TimeSpan giveUpAfter)
{
    private long _retries;
    private long _duplicates;
    private long _lastWarning;

    /// <summary>Attempts that failed and were retried.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Messages the server already had (same message id within the duplicate window).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    public async Task<PubAckResponse> PublishAsync(string subject, ReadOnlyMemory<byte> data, string msgId, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            Exception? failure;
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                // The client waits for a reconnection without limit; bound each attempt so a retry can go to another node.
                attempt.CancelAfter(TimeSpan.FromSeconds(6));
                try
                {
                    var ack = await js.PublishAsync(subject, data, opts: new NatsJSPubOpts { MsgId = msgId }, cancellationToken: attempt.Token).ConfigureAwait(false);
                    if (ack.Error is null)
                    {
                        if (ack.Duplicate)
                        {
                            Interlocked.Increment(ref _duplicates);
                        }
                        return ack;
                    }
                    failure = new NatsJSApiException(ack.Error);
                }
                catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                {
                    failure = new TimeoutException("no acknowledgement within 6 s (server unreachable or electing a leader)", ex);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && VigilBus.IsTransient(ex))
                {
                    failure = ex;
                }
            }
            var waited = DateTime.UtcNow - started;
            // Timeout.InfiniteTimeSpan is negative: it must mean never give up, not give up at once.
            if (giveUpAfter >= TimeSpan.Zero && waited >= giveUpAfter)
            {
                throw new BusUnavailableException(
                    $"could not publish to {subject} for {waited.TotalSeconds:F0} s (last error: {failure.Message}); the message was not acknowledged", failure);
            }
            Interlocked.Increment(ref _retries);
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastWarning);
            if (now - last > 5000 && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
            {
                log.WriteLine($"vigil: publish to {subject} not acknowledged ({failure.Message}); retrying");
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }
}
