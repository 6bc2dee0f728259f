using System.Security.Cryptography;

namespace Vigil.Nats;

/// <summary>Settings for publishing events.</summary>
public sealed record PublisherOptions
{
    /// <summary>Publications awaiting the server's acknowledgement at once (pipelining; memory stays bounded by it).</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>How long a message may go unacknowledged (server down, no leader) before publishing fails.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Publishes NDJSON events to the events stream on <c>{prefix}.{partition}.{host}</c>. Each event is acknowledged by the
/// server before it counts as published; a failure is thrown from <see cref="PublishAsync"/> or <see cref="FlushAsync"/>,
/// never swallowed. The message id is a hash of the event's bytes, so a retried event is stored once.
/// </summary>
public sealed class EventPublisher
{
    private readonly VigilBus _bus;
    private readonly ReliablePublisher _publisher;
    private readonly PublisherOptions _options;
    private readonly Queue<Task> _inFlight = new();
    private long _published;

    private EventPublisher(VigilBus bus, PublisherOptions options, TextWriter log)
    {
        _bus = bus;
        _options = options;
        _publisher = new ReliablePublisher(bus.JetStream, TextWriter.Synchronized(log), options.GiveUpAfter);
    }

    /// <summary>Ensures the events stream exists and returns a publisher for it.</summary>
    public static async Task<EventPublisher> CreateAsync(VigilBus bus, PublisherOptions? options, TextWriter log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        await bus.EnsureEventsStreamAsync(ct).ConfigureAwait(false);
        return new EventPublisher(bus, options ?? new PublisherOptions(), log);
    }

    /// <summary>Events the server has acknowledged.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Events the server already held (a retry after a lost acknowledgement, or the same event published twice).</summary>
    public long Duplicates => _publisher.Duplicates;

    /// <summary>Attempts retried.</summary>
    public long Retries => _publisher.Retries;

    /// <summary>
    /// Publishes one event (a JSON object). Returns once it is in flight; waits when <see cref="PublisherOptions.MaxInFlight"/>
    /// events are, and throws the first failure among them. Throws <see cref="System.Text.Json.JsonException"/> for bytes
    /// that are not JSON.
    /// </summary>
    public async ValueTask PublishAsync(ReadOnlyMemory<byte> json, CancellationToken ct = default)
    {
        var host = Subjects.HostKey(json.Span);
        var subject = Subjects.EventSubject(_bus.Options.EventsSubjectPrefix, host, _bus.Partitions);
        var msgId = Convert.ToHexStringLower(SHA256.HashData(json.Span).AsSpan(0, 16));
        // The bytes may belong to a reused buffer: keep our own copy until acknowledged.
        var copy = json.ToArray();
        _inFlight.Enqueue(PublishOneAsync(subject, copy, msgId, ct));
        while (_inFlight.Count >= _options.MaxInFlight)
        {
            await _inFlight.Dequeue().ConfigureAwait(false);
        }
    }

    private async Task PublishOneAsync(string subject, byte[] data, string msgId, CancellationToken ct)
    {
        await _publisher.PublishAsync(subject, data, msgId, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _published);
    }

    /// <summary>Waits until every event published so far is acknowledged; throws the first failure.</summary>
    public async Task FlushAsync()
    {
        while (_inFlight.Count > 0)
        {
            await _inFlight.Dequeue().ConfigureAwait(false);
        }
    }
}
