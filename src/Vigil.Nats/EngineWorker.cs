using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using Vigil.Detection;

namespace Vigil.Nats;

/// <summary>Settings of an engine worker.</summary>
public sealed record EngineWorkerOptions
{
    /// <summary>This worker's name (unique among live workers): shown in leases and logs.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Prefix of the durable consumers (<c>{prefix}-p{n}</c>) and of the lease bucket (<c>{prefix}-leases</c>).</summary>
    public string ConsumerPrefix { get; init; } = "vigil-engine";

    /// <summary>
    /// A partition lease lapses this long after its holder's last renewal (renewed every third of it). A killed worker's
    /// partitions are taken over after at most this long.
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An unacknowledged message is redelivered after this long (to the partition's next holder after a crash).</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unacknowledged messages a partition consumer may have out (the server stops delivering past it).</summary>
    public int MaxAckPending { get; init; } = 4096;

    /// <summary>Messages handled per commit: their alerts are made durable together, then they are acknowledged.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>How often lag and throughput are reported; zero turns the report off.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// An engine worker: holds leases on some partitions of the events stream, consumes each held partition through its own
/// durable consumer, runs the rules, and acknowledges a message only after the alerts it produced are committed to the
/// store (when there is one) and acknowledged by the alerts stream. Any number of workers share the partitions: each aims
/// at ceil(partitions / live workers), taking free partitions and handing extra ones back.
/// </summary>
public sealed class EngineWorker
{

    private readonly VigilBus _bus;
    private readonly EngineWorkerOptions _options;
    private readonly LiveDetector _detector;
    private readonly IDurableAlertSink? _store;
    private readonly TextWriter _log;
    private readonly ReliablePublisher _alerts;
    private readonly Channel<Delivery> _channel;
    private readonly ConcurrentDictionary<int, long> _live = new();
    private readonly Dictionary<int, Lease> _held = [];
    private long _generation;
    private TimeSpan _leaseTtl;
    private Task _processor = Task.CompletedTask;
    private long _events;
    private long _alertCount;
    private long _stale;
    private long _ackFailures;

    /// <summary>Prepares a worker; <paramref name="store"/> may be null (alerts are then durable in the alerts stream only).</summary>
    public EngineWorker(VigilBus bus, EngineWorkerOptions options, LiveDetector detector, IDurableAlertSink? store, TextWriter log)
    {
        _bus = bus ?? throw new ArgumentNullException(nameof(bus));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _detector = detector ?? throw new ArgumentNullException(nameof(detector));
        _store = store;
        _log = TextWriter.Synchronized(log ?? throw new ArgumentNullException(nameof(log)));
        // Alerts wait for the server as long as it takes: the events they came from stay unacknowledged meanwhile.
        _alerts = new ReliablePublisher(bus.JetStream, _log, Timeout.InfiniteTimeSpan);
        // Bounded: when rules or the store are slow, consumers stop pulling and the server holds the backlog.
        _channel = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(options.BatchSize * 4) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Events processed.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Alerts published (including ones the alerts stream already had).</summary>
    public long Alerts => Interlocked.Read(ref _alertCount);

    /// <summary>Alerts the alerts stream dropped as duplicates (redelivered events).</summary>
    public long DuplicateAlerts => _alerts.Duplicates;

    /// <summary>Partitions held now.</summary>
    public IReadOnlyList<int> HeldPartitions => [.. _live.Keys.Order()];

    /// <summary>Runs until <paramref name="ct"/> is cancelled, then hands its partitions back.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var partitions = await _bus.EnsureEventsStreamAsync(ct).ConfigureAwait(false);
        await _bus.EnsureAlertsStreamAsync(ct).ConfigureAwait(false);
        var leases = await OpenLeaseBucketAsync(ct).ConfigureAwait(false);
        // The bucket's max age is what expires leases: when another worker created it with another lease time, renew on its clock.
        _leaseTtl = _options.LeaseTtl;
        try
        {
            var status = await leases.GetStatusAsync(ct).ConfigureAwait(false);
            if (status.Info.Config.MaxAge is { } age && age > TimeSpan.Zero && age != _options.LeaseTtl)
            {
                _leaseTtl = age;
                _log.WriteLine($"vigil engine [{_options.WorkerId}]: note: the lease bucket expires leases after {age.TotalSeconds:F0} s; using that, not {_options.LeaseTtl.TotalSeconds:F0} s");
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            // Keep our own lease time.
        }
        _log.WriteLine($"vigil engine [{_options.WorkerId}]: {partitions} partitions on {_bus.Options.EventsStream}; " +
            $"{_detector.Engine.Rules.Count + _detector.Engine.SequenceRules.Count} rules; store: {(_store is null ? "none (alerts stream only)" : "yes")}");

        using var stopProcessing = new CancellationTokenSource();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var processor = Task.Run(() => ProcessAsync(stopProcessing.Token), CancellationToken.None);
        _processor = processor;
        // A processor that fails (the store cannot commit) must stop the worker: holding leases without progress would
        // stall its partitions for good.
        _ = processor.ContinueWith(_ => stopping.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        ct = stopping.Token;
        var stats = _options.StatsInterval > TimeSpan.Zero ? Task.Run(() => ReportAsync(ct), CancellationToken.None) : Task.CompletedTask;
        try
        {
            await LeaseLoopAsync(leases, partitions, ct).ConfigureAwait(false);
        }
        finally
        {
            // Orderly exit: stop pulling, finish and acknowledge what was pulled, then free the leases so that the other
            // workers take the partitions over at once instead of after the lease time.
            foreach (var lease in _held.Values)
            {
                await lease.Cts.CancelAsync().ConfigureAwait(false);
            }
            await Task.WhenAll(_held.Values.Select(l => l.Consumer)).ConfigureAwait(false);
            _channel.Writer.TryComplete();
            stopProcessing.CancelAfter(TimeSpan.FromSeconds(15));
            Exception? failure = null;
            try
            {
                await processor.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _log.WriteLine($"vigil engine [{_options.WorkerId}]: stopped before the last alerts were published; their events will be redelivered");
            }
            catch (Exception ex)
            {
                failure = ex;
                _log.WriteLine($"vigil engine [{_options.WorkerId}]: error: {ex.Message}; stopping (unacknowledged events will be redelivered)");
            }
            foreach (var (p, lease) in _held)
            {
                await TryDeleteLeaseAsync(leases, p, lease.Revision).ConfigureAwait(false);
                lease.Cts.Dispose();
            }
            _held.Clear();
            await stats.ConfigureAwait(false);
            _log.WriteLine($"vigil engine [{_options.WorkerId}]: stopped; {Events} events, {Alerts} alerts ({DuplicateAlerts} already published)");
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
    }

    private async Task<INatsKVStore> OpenLeaseBucketAsync(CancellationToken ct)
    {
        var kv = new NatsKVContext(_bus.JetStream);
        var config = new NatsKVConfig(_options.ConsumerPrefix + "-leases")
        {
            Description = "Vigil engine partition leases (p.N = worker holding partition N) and live workers (m.ID)",
            History = 1,
            MaxAge = _options.LeaseTtl,
            NumberOfReplicas = _bus.Options.Replicas,
            Storage = NatsKVStorageType.File,
        };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await kv.CreateStoreAsync(config, ct).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10058)
            {
                // Made by a worker with other settings (another lease time): share it as it is.
                return await kv.GetStoreAsync(config.Bucket, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (VigilBus.IsTransient(ex) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }
    }

    private sealed class Lease(ulong revision, long generation, CancellationTokenSource cts)
    {
        public ulong Revision { get; set; } = revision;
        public long Generation { get; } = generation;
        public CancellationTokenSource Cts { get; } = cts;
        public Task Consumer { get; set; } = Task.CompletedTask;
        public DateTime Renewed { get; set; } = DateTime.UtcNow;
    }

    private readonly record struct Delivery(int Partition, long Generation, INatsJSMsg<byte[]>? Msg, TaskCompletionSource? Barrier);

    private static string PartitionKey(int p) => $"p.{p}";

    private string MemberKey => "m." + SafeKey(_options.WorkerId);

    private static string SafeKey(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    private async Task LeaseLoopAsync(INatsKVStore leases, int partitions, CancellationToken ct)
    {
        var period = _leaseTtl / 3;
        var members = 1;
        var start = Subjects.Partition(_options.WorkerId, partitions);
        var lastError = DateTime.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await leases.PutAsync(MemberKey, _options.WorkerId, cancellationToken: ct).ConfigureAwait(false);
                var count = 0;
                await foreach (var key in leases.GetKeysAsync(cancellationToken: ct).ConfigureAwait(false))
                {
                    if (key.StartsWith("m.", StringComparison.Ordinal))
                    {
                        count++;
                    }
                }
                members = Math.Max(1, count);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                if (DateTime.UtcNow - lastError > TimeSpan.FromSeconds(5))
                {
                    _log.WriteLine($"vigil engine [{_options.WorkerId}]: cannot reach the lease bucket ({ex.Message}); keeping partitions while leases are valid");
                    lastError = DateTime.UtcNow;
                }
            }
            var target = (partitions + members - 1) / members;

            foreach (var (p, lease) in _held.ToList())
            {
                NatsResult<ulong> renewed;
                try
                {
                    renewed = await leases.TryUpdateAsync(PartitionKey(p), _options.WorkerId, lease.Revision, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    renewed = ex;
                }
                if (!renewed.Success && renewed.Error is NatsKVWrongLastRevisionException && await CurrentHolderAsync(leases, p, ct).ConfigureAwait(false) is { } current
                    && current.Value == _options.WorkerId)
                {
                    // Our previous renewal reached the server but its answer was lost (a leader change): the lease is still ours.
                    renewed = current.Revision;
                }
                if (renewed.Success)
                {
                    lease.Revision = renewed.Value;
                    lease.Renewed = DateTime.UtcNow;
                }
                else if (renewed.Error is NatsKVWrongLastRevisionException or NatsKVKeyNotFoundException or NatsKVKeyDeletedException
                    || DateTime.UtcNow - lease.Renewed > _leaseTtl * 0.7)
                {
                    // Expired or taken: another worker may be consuming it now. Stop at once; what we pulled and did not
                    // acknowledge is redelivered to the holder.
                    await LoseAsync(p, $"lease lost ({renewed.Error.Message})").ConfigureAwait(false);
                }
            }

            while (_held.Count > target && !ct.IsCancellationRequested)
            {
                var p = _held.Keys.OrderByDescending(k => (k - start + partitions) % partitions).First();
                await ReleaseAsync(leases, p, $"rebalancing to {target} per worker ({members} workers)").ConfigureAwait(false);
            }

            for (var i = 0; i < partitions && _held.Count < target && !ct.IsCancellationRequested; i++)
            {
                var p = (start + i) % partitions;
                if (_held.ContainsKey(p))
                {
                    continue;
                }
                NatsResult<ulong> claimed;
                try
                {
                    claimed = await leases.TryCreateAsync(PartitionKey(p), _options.WorkerId, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    claimed = ex;
                }
                if (claimed.Success)
                {
                    Acquire(p, claimed.Value, ct);
                }
            }

            try
            {
                await Task.Delay(period, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Acquire(int p, ulong revision, CancellationToken ct)
    {
        var generation = Interlocked.Increment(ref _generation);
        var lease = new Lease(revision, generation, CancellationTokenSource.CreateLinkedTokenSource(ct));
        _held[p] = lease;
        _live[p] = generation;
        lease.Consumer = Task.Run(() => ConsumePartitionAsync(p, generation, lease.Cts.Token), CancellationToken.None);
        _log.WriteLine($"vigil engine [{_options.WorkerId}]: took partition {p}");
    }

    private async Task LoseAsync(int p, string why)
    {
        _live.TryRemove(p, out _);
        var lease = _held[p];
        _held.Remove(p);
        await lease.Cts.CancelAsync().ConfigureAwait(false);
        await lease.Consumer.ConfigureAwait(false);
        lease.Cts.Dispose();
        _log.WriteLine($"vigil engine [{_options.WorkerId}]: dropped partition {p}: {why}");
    }

    private async Task ReleaseAsync(INatsKVStore leases, int p, string why)
    {
        var lease = _held[p];
        await lease.Cts.CancelAsync().ConfigureAwait(false);
        await lease.Consumer.ConfigureAwait(false);
        // Everything this partition delivered before the barrier is processed and acknowledged when it completes.
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Delivery(p, lease.Generation, null, barrier)).ConfigureAwait(false);
        if (await Task.WhenAny(barrier.Task, _processor).ConfigureAwait(false) != barrier.Task)
        {
            return;
        }
        _live.TryRemove(p, out _);
        _held.Remove(p);
        lease.Cts.Dispose();
        await TryDeleteLeaseAsync(leases, p, lease.Revision).ConfigureAwait(false);
        _log.WriteLine($"vigil engine [{_options.WorkerId}]: handed partition {p} back: {why}");
    }

    private async Task TryDeleteLeaseAsync(INatsKVStore leases, int p, ulong revision)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await leases.TryDeleteAsync(PartitionKey(p), new NatsKVDeleteOpts { Revision = revision }, cts.Token).ConfigureAwait(false);
            if (_held.Count == 0)
            {
                await leases.TryDeleteAsync(MemberKey, cancellationToken: cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
        {
            // It lapses on its own after the lease time.
        }
    }

    private static async Task<NatsKVEntry<string>?> CurrentHolderAsync(INatsKVStore leases, int p, CancellationToken ct)
    {
        try
        {
            var entry = await leases.TryGetEntryAsync<string>(PartitionKey(p), cancellationToken: ct).ConfigureAwait(false);
            return entry.Success ? entry.Value : null;
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            return null;
        }
    }

    private async Task ConsumePartitionAsync(int p, long generation, CancellationToken ct)
    {
        var name = $"{_options.ConsumerPrefix}-p{p}";
        var config = new ConsumerConfig(name)
        {
            DurableName = name,
            FilterSubject = Subjects.PartitionFilter(_bus.Options.EventsSubjectPrefix, p),
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = _options.AckWait,
            MaxAckPending = _options.MaxAckPending,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var consumer = await _bus.JetStream.CreateOrUpdateConsumerAsync(_bus.Options.EventsStream, config, ct).ConfigureAwait(false);
                var opts = new NatsJSConsumeOpts { MaxMsgs = _options.BatchSize, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(2) };
                await foreach (var msg in consumer.ConsumeAsync<byte[]>(opts: opts, cancellationToken: ct).ConfigureAwait(false))
                {
                    await _channel.Writer.WriteAsync(new Delivery(p, generation, msg, null), ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ChannelClosedException)
            {
                return;
            }
            catch (Exception ex)
            {
                _log.WriteLine($"vigil engine [{_options.WorkerId}]: partition {p} consumer: {ex.Message}; retrying");
                try
                {
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ProcessAsync(CancellationToken ct)
    {
        var reader = _channel.Reader;
        var batch = new List<INatsJSMsg<byte[]>>(_options.BatchSize);
        var alerts = new List<Alert>();
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (batch.Count < _options.BatchSize && reader.TryRead(out var d))
            {
                if (d.Barrier is { } barrier)
                {
                    await CommitAsync(batch, alerts, ct).ConfigureAwait(false);
                    barrier.TrySetResult();
                    continue;
                }
                if (!_live.TryGetValue(d.Partition, out var g) || g != d.Generation)
                {
                    // Its lease is gone: the new holder gets it again. Processing it here could split a host's events.
                    Interlocked.Increment(ref _stale);
                    continue;
                }
                var msg = d.Msg!;
                if (msg.Data is { Length: > 0 } data)
                {
                    _detector.Process(data, alerts, msg.Subject);
                }
                batch.Add(msg);
            }
            await CommitAsync(batch, alerts, ct).ConfigureAwait(false);
        }
        // End of the run: sequences still waiting in the reorder window are matched now.
        _detector.Complete(alerts);
        await CommitAsync(batch, alerts, ct).ConfigureAwait(false);
    }

    private async Task CommitAsync(List<INatsJSMsg<byte[]>> batch, List<Alert> alerts, CancellationToken ct)
    {
        if (alerts.Count > 0)
        {
            if (_store is not null)
            {
                foreach (var alert in alerts)
                {
                    _store.Write(alert);
                }
                _store.Commit();
            }
            var published = new Task[alerts.Count];
            for (var i = 0; i < alerts.Count; i++)
            {
                var alert = alerts[i];
                var host = alert.Field("host.id") ?? alert.Field("host.name") ?? string.Empty;
                var subject = $"{_bus.Options.AlertsSubjectPrefix}.{Subjects.HostToken(host)}";
                published[i] = _alerts.PublishAsync(subject, alert.Json.ToArray(), alert.Id, ct);
            }
            await Task.WhenAll(published).ConfigureAwait(false);
            Interlocked.Add(ref _alertCount, alerts.Count);
            alerts.Clear();
        }
        foreach (var msg in batch)
        {
            try
            {
                await msg.AckAsync(cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                // Redelivered later; its alerts are already durable and deduplicated by id.
                if (Interlocked.Increment(ref _ackFailures) % 1000 == 1)
                {
                    _log.WriteLine($"vigil engine [{_options.WorkerId}]: acknowledgement failed ({ex.Message}); the message will be redelivered");
                }
            }
        }
        Interlocked.Add(ref _events, batch.Count);
        batch.Clear();
    }

    private async Task ReportAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastEvents = Events;
        var lastTime = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.StatsInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long pending = 0, unacked = 0, redelivered = 0;
            var held = HeldPartitions;
            foreach (var p in held)
            {
                try
                {
                    var consumer = await _bus.JetStream.GetConsumerAsync(_bus.Options.EventsStream, $"{_options.ConsumerPrefix}-p{p}", ct).ConfigureAwait(false);
                    pending += (long)consumer.Info.NumPending;
                    unacked += consumer.Info.NumAckPending;
                    redelivered += consumer.Info.NumRedelivered;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // The worker is stopping: a report cut short is not an error.
                    return;
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
                {
                    // Reported as unknown below.
                    pending = -1;
                    break;
                }
            }
            var now = clock.Elapsed;
            var events = Events;
            var rate = (events - lastEvents) / Math.Max(0.001, (now - lastTime).TotalSeconds);
            lastEvents = events;
            lastTime = now;
            _log.WriteLine($"vigil engine [{_options.WorkerId}]: partitions [{string.Join(',', held)}]; {events} events ({rate:F0}/s), " +
                $"{Alerts} alerts ({DuplicateAlerts} duplicates dropped); lag {(pending < 0 ? "unknown" : pending.ToString(System.Globalization.CultureInfo.InvariantCulture))} waiting, {unacked} unacknowledged, {redelivered} redelivered; " +
                $"stale {Interlocked.Read(ref _stale)}, late {_detector.LateEvents}, bad {_detector.BadEvents}");
        }
    }
}
