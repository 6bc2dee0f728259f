namespace Vigil.Nats;

/// <summary>How events are kept in the events stream.</summary>
public enum EventRetention
{
    /// <summary>Kept until <see cref="BusOptions.MaxAge"/> or the stream's size limits (events can be replayed).</summary>
    Limits,

    /// <summary>Removed once a worker acknowledges them (a work queue; the partition consumers' filters do not overlap).</summary>
    WorkQueue,
}

/// <summary>Where Vigil's events and alerts live on a NATS JetStream server, and how the events streams is made.</summary>
public sealed record BusOptions
{
    /// <summary>Server URL or comma-separated URLs (a cluster): <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Name a connection shows in the server's monitoring.</summary>
    public string ClientName { get; init; } = "vigil";

    /// <summary>The events stream (created if missing).</summary>
    public string EventsStream { get; init; } = "VIGIL_EVENTS";

    /// <summary>Event subjects are <c>{prefix}.{partition}.{host}</c>.</summary>
    public string EventsSubjectPrefix { get; init; } = "vigil.events";

    /// <summary>
    /// Partitions used when this process creates the events stream. An existing stream's count wins (it is written in the
    /// stream's description), so publishers and workers always agree.
    /// </summary>
    public int Partitions { get; init; } = 8;

    /// <summary>Retention of the events stream when this process creates it.</summary>
    public EventRetention Retention { get; init; } = EventRetention.Limits;

    /// <summary>Age past which events are removed (limits retention); zero keeps them until size limits apply.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Stream replicas (3 on a three-node cluster).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>The alerts stream (created if missing).</summary>
    public string AlertsStream { get; init; } = "VIGIL_ALERTS";

    /// <summary>Alert subjects are <c>{prefix}.{host}</c>.</summary>
    public string AlertsSubjectPrefix { get; init; } = "vigil.alerts";

    /// <summary>
    /// How long JetStream remembers message ids. A redelivered event whose alerts are published again within this window is
    /// dropped by the server; it must exceed the ack wait plus the lease time plus the longest outage a worker rides out.
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(15);
}
