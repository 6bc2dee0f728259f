using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Vigil.Sensor.Netlink;

namespace Vigil.Sensor;

/// <summary>
/// Live Linux process telemetry: subscribes to the kernel's netlink process connector (fork, exec, exit),
/// enriches each event from /proc at the moment it arrives, and produces one ECS document per event in
/// the shape of Defend for Containers process events. Needs root (CAP_NET_ADMIN) in the host namespaces.
/// </summary>
/// <example>
/// <code>
/// await using var sensor = new ProcessSensor(new SensorOptions());
/// sensor.DataLoss += (_, e) => Console.Error.WriteLine(e.Message);
/// sensor.Start();
/// await foreach (SensorEvent ev in sensor.ReadAllAsync(ct)) { Use(ev.Json); }
/// </code>
/// </example>
public sealed class ProcessSensor : IAsyncDisposable
{
    private const int MaintenanceIntervalMs = 250;
    private const int BatchSize = 64;
    private const long LossNotifyIntervalNs = 1_000_000_000;
    private const long ResyncMinIntervalNs = 1_000_000_000;
    private const long ClockRefreshIntervalNs = 10_000_000_000;

    private readonly SensorOptions _options;
    private readonly SensorCounters _counters = new();
    private readonly Channel<SensorEvent> _channel;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SequenceTracker _sequences = new();
    private readonly ManualResetEventSlim _available = new(false, spinCount: 0);
    private readonly long[] _pendingLoss = new long[3];
    private readonly long[] _lastLossNotice = new long[3];

    private SensorClock? _clock;
    private SensorCore? _core;
    private ProcConnectorSocket? _socket;
    private Thread? _thread;
    private volatile bool _stopping;
    private int _state; // 0 new, 1 started, 2 disposed
    private bool _resyncRequested;
    private long _resyncRequestedAt;
    private long _lastResync;
    private long _lastMaintenance;
    private long _lastClockRefresh;

    /// <summary>Creates a sensor; nothing happens until <see cref="Start"/>.</summary>
    public ProcessSensor(SensorOptions? options = null)
    {
        _options = options ?? new SensorOptions();
        _channel = Channel.CreateBounded<SensorEvent>(new BoundedChannelOptions(Math.Max(1, _options.ChannelCapacity))
        {
            SingleWriter = true,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>
    /// Raised when events were lost (kernel overrun, sequence gap, or a slow consumer), at most about once
    /// a second per kind, on a thread-pool thread. The message is meant for stderr.
    /// </summary>
    public event EventHandler<SensorDataLossEventArgs>? DataLoss;

    /// <summary>The documents, in kernel order. Completes after disposal; faults if the receive thread fails.</summary>
    public ChannelReader<SensorEvent> Events => _channel.Reader;

    /// <summary>A snapshot of the counters.</summary>
    public SensorStats Stats => _counters.Snapshot();

    /// <summary>Tests close this gate to stall the receive thread and make the kernel overrun the socket.</summary>
    internal ManualResetEventSlim? TestGate { get; set; }

    /// <summary>
    /// Blocks the calling thread until an event can be read from <see cref="Events"/> (true), or the
    /// sensor has stopped and every event was read (false). Woken directly by the receive thread, without
    /// the thread-pool hop an awaited read takes: under CPU saturation that hop, not the sensor, dominates
    /// latency (measured: p50 2–3 ms through the pool). Pair with <see cref="SensorScheduling"/> on a
    /// dedicated consumer thread and <c>Events.TryRead</c>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public bool WaitForEvents(CancellationToken cancellationToken = default)
    {
        ChannelReader<SensorEvent> reader = _channel.Reader;
        while (true)
        {
            if (reader.TryPeek(out _))
            {
                return true;
            }

            if (reader.Completion.IsCompleted)
            {
                return false;
            }

            // Reset, then look again: an event written between the first look and the reset is not missed.
            _available.Reset();
            if (reader.TryPeek(out _))
            {
                return true;
            }

            if (reader.Completion.IsCompleted)
            {
                return false;
            }

            _available.Wait(cancellationToken);
        }
    }

    /// <summary>Reads every event until the sensor is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<SensorEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (SensorEvent ev in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ev;
        }
    }

    /// <summary>
    /// Checks privileges, subscribes to the process connector, waits for the kernel's acknowledgement,
    /// reads /proc to know the processes already running, and starts the receive thread.
    /// </summary>
    /// <exception cref="SensorPrivilegeException">Not root / no CAP_NET_ADMIN / not in the host namespaces.</exception>
    /// <exception cref="InvalidOperationException">Already started or disposed.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException(_state == 2 ? "The sensor was disposed." : "The sensor is already started.");
        }

        if (SensorPrivileges.Check() is { } problem)
        {
            throw new SensorPrivilegeException(problem);
        }

        _clock = new SensorClock();
        _core = new SensorCore(_options, _clock, _counters, Publish);
        _socket = ProcConnectorSocket.Open();
        try
        {
            Volatile.Write(ref _counters.ReceiveBufferBytes, _socket.SetReceiveBuffer(_options.ReceiveBufferBytes));
            _socket.SendControl(ProcConnectorMessage.McastListen);
            WaitForAck(_socket);

            // Subscribed first, then scanned: a process born during the scan is either in /proc or in
            // the queue waiting for the receive thread, never in neither.
            _core.Resync(initial: true);
            SensorCore.WarmUp(_options, _clock);
        }
        catch
        {
            _socket.Dispose();
            _socket = null;
            throw;
        }

        _counters.StartedAt = DateTimeOffset.UtcNow;
        _lastMaintenance = _lastClockRefresh = _lastResync = SensorClock.MonotonicNowNs();
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "vigil-sensor-receive" };
        _thread.Start();
    }

    /// <summary>Stops the receive thread, unsubscribes, closes the socket and completes <see cref="Events"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 2)
        {
            return;
        }

        _stopping = true;
        if (previous == 1 && _thread is not null)
        {
            _socket?.Wake();
            await _stopped.Task.ConfigureAwait(false);
        }

        if (_socket is { } socket)
        {
            try
            {
                // Without IGNORE older kernels keep counting us as a listener and keep generating events.
                socket.SendControl(ProcConnectorMessage.McastIgnore);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            socket.Dispose();
        }

        _core?.Dispose();
        _channel.Writer.TryComplete();
        _available.Set();
    }

    private void WaitForAck(ProcConnectorSocket socket)
    {
        byte[] buffer = new byte[8192];
        long deadline = Stopwatch.GetTimestamp() + (long)(_options.SubscribeTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            ReceiveStatus status = socket.TryReceive(buffer, out int length);
            if (status == ReceiveStatus.Data)
            {
                ReadOnlySpan<byte> data = buffer.AsSpan(0, length);
                while (true)
                {
                    int used = ProcConnectorMessage.TryRead(data, out ProcEvent ev, out bool isEvent);
                    if (used == 0)
                    {
                        break;
                    }

                    data = data[used..];
                    if (isEvent && ev.Kind == ProcEventKind.None && ev.Ack == socket.AckCookie + 1)
                    {
                        // Since Linux 6.6 anyone may bind; the capability check moved to the subscription,
                        // whose ack then carries EPERM.
                        if (ev.ExitCode is Interop.LibC.EPERM or Interop.LibC.EACCES)
                        {
                            throw new SensorPrivilegeException(SensorPrivileges.MissingPrivilegeMessage("accept the process-connector subscription", (int)ev.ExitCode));
                        }

                        if (ev.ExitCode != 0)
                        {
                            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"The kernel rejected the process-connector subscription (error {ev.ExitCode})."));
                        }

                        return;
                    }

                    // Anything before our ack predates the subscription as far as we are concerned;
                    // still feed the sequence tracker so the first real message is not seen as a gap.
                    if (isEvent)
                    {
                        _sequences.Observe(ev.Cpu, ev.Sequence);
                    }
                }

                continue;
            }

            long remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                throw new SensorPrivilegeException(
                    "The process sensor cannot start: the kernel did not acknowledge the process-connector subscription within "
                    + _options.SubscribeTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)
                    + " s. It ignores subscribers outside the host's initial user and PID namespaces; run in the host namespaces (docker --pid=host --network=host, Kubernetes hostPID and hostNetwork).");
            }

            if (status != ReceiveStatus.Interrupted)
            {
                socket.WaitReadable((int)Math.Max(1, remaining * 1000 / Stopwatch.Frequency));
            }
        }
    }

    private void ReceiveLoop()
    {
        ProcConnectorSocket socket = _socket!;
        SensorCore core = _core!;
        byte[] buffer = new byte[16 * 1024];
        var batch = new ProcEvent[BatchSize];
        long[] receivedAt = new long[BatchSize];
        var captures = new ExecCapture?[BatchSize];
        int sinceMaintenance = 0;
        ApplyScheduling();
        try
        {
            while (!_stopping)
            {
                TestGate?.Wait();

                // Drain what is queued (up to a batch), then read /proc for every exec in it before
                // writing any document: the exec's process may be gone by the time the documents of the
                // messages before it are written.
                int count = 0;
                ReceiveStatus status = ReceiveStatus.Data;
                while (count < BatchSize)
                {
                    status = socket.TryReceive(buffer, out int length);
                    if (status != ReceiveStatus.Data)
                    {
                        break;
                    }

                    long received = Stopwatch.GetTimestamp();
                    ReadOnlySpan<byte> data = buffer.AsSpan(0, length);
                    while (count < BatchSize)
                    {
                        int used = ProcConnectorMessage.TryRead(data, out ProcEvent ev, out bool isEvent);
                        if (used == 0)
                        {
                            break;
                        }

                        data = data[used..];
                        if (isEvent)
                        {
                            captures[count] = ev.Kind == ProcEventKind.Exec ? core.CaptureExec(ev.Tgid) : null;
                            receivedAt[count] = received;
                            batch[count++] = ev;
                        }
                    }
                }

                for (int i = 0; i < count; i++)
                {
                    ref ProcEvent ev = ref batch[i];
                    Interlocked.Increment(ref _counters.MessagesReceived);
                    long missed = _sequences.Observe(ev.Cpu, ev.Sequence);
                    if (missed > 0)
                    {
                        Interlocked.Add(ref _counters.LostMessages, missed);
                        NoteLoss(SensorDataLossKind.SequenceGap, missed);
                        RequestResync();
                    }

                    core.Handle(ev, receivedAt[i], captures[i]);
                    captures[i] = null;
                }

                sinceMaintenance += count;
                if (sinceMaintenance >= 256)
                {
                    sinceMaintenance = 0;
                    Maintain(core, idle: false);
                }

                switch (status)
                {
                    case ReceiveStatus.WouldBlock:
                        Maintain(core, idle: true);
                        if (!socket.WaitReadable(MaintenanceIntervalMs * 4))
                        {
                            return;
                        }

                        break;

                    case ReceiveStatus.Overrun:
                        Interlocked.Increment(ref _counters.KernelOverruns);
                        int current = Volatile.Read(ref _counters.ReceiveBufferBytes);
                        if (current < _options.MaxReceiveBufferBytes)
                        {
                            int next = (int)Math.Min((long)current * 2, _options.MaxReceiveBufferBytes);
                            Volatile.Write(ref _counters.ReceiveBufferBytes, socket.SetReceiveBuffer(next));
                        }

                        NoteLoss(SensorDataLossKind.KernelOverrun, 1);
                        RequestResync();
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            _channel.Writer.TryComplete(ex);
            _available.Set();
        }
        finally
        {
            FlushLoss(force: true);
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// Lets the receive thread preempt ordinary tasks as soon as the kernel queues a message. Without it
    /// the woken thread often waits for the CPU until the very process it must read from /proc has
    /// exited (measured on 2 cores: a third to two thirds of /bin/true execs missed; none with
    /// SCHED_FIFO). auditd boosts itself for the same reason.
    /// </summary>
    private void ApplyScheduling() =>
        _counters.ReceiveThreadScheduling = SensorScheduling.ApplyToCurrentThread(_options.ReceiveThreadScheduling, _options.RealtimePriority);

    private void Maintain(SensorCore core, bool idle)
    {
        long now = SensorClock.MonotonicNowNs();
        if (!idle && now - _lastMaintenance < MaintenanceIntervalMs * 1_000_000L)
        {
            return;
        }

        _lastMaintenance = now;
        core.Evict(now);

        // Resync once the queue is drained (so the scan reflects the present), or after a second of
        // continuous load at the latest, and never more than once a second.
        if (_resyncRequested && now - _lastResync >= ResyncMinIntervalNs && (idle || now - _resyncRequestedAt >= ResyncMinIntervalNs))
        {
            _resyncRequested = false;
            _lastResync = now;
            core.Resync(initial: false);
            Interlocked.Increment(ref _counters.Resyncs);
        }

        if (now - _lastClockRefresh >= ClockRefreshIntervalNs)
        {
            _lastClockRefresh = now;
            _clock!.Refresh();
        }

        FlushLoss(force: false);
    }

    private void RequestResync()
    {
        if (!_resyncRequested)
        {
            _resyncRequested = true;
            _resyncRequestedAt = SensorClock.MonotonicNowNs();
        }
    }

    private void Publish(SensorEvent ev)
    {
        if (_channel.Writer.TryWrite(ev))
        {
            Interlocked.Increment(ref _counters.EventsEmitted);
            _available.Set();
        }
        else
        {
            // Never block the receive thread on the consumer: that would turn a slow reader into kernel loss.
            Interlocked.Increment(ref _counters.ConsumerDrops);
            NoteLoss(SensorDataLossKind.ConsumerBacklog, 1);
        }
    }

    private void NoteLoss(SensorDataLossKind kind, long count)
    {
        _pendingLoss[(int)kind] += count;
        FlushLoss(force: false);
    }

    private void FlushLoss(bool force)
    {
        long now = SensorClock.MonotonicNowNs();
        for (int k = 0; k < _pendingLoss.Length; k++)
        {
            long count = _pendingLoss[k];
            if (count == 0 || (!force && now - _lastLossNotice[k] < LossNotifyIntervalNs))
            {
                continue;
            }

            _pendingLoss[k] = 0;
            _lastLossNotice[k] = now;
            var kind = (SensorDataLossKind)k;
            SensorStats stats = _counters.Snapshot();
            string message = kind switch
            {
                SensorDataLossKind.KernelOverrun => string.Create(CultureInfo.InvariantCulture, $"vigil sensor: the kernel dropped process events (ENOBUFS x{count}); receive buffer now {stats.ReceiveBufferBytes / 1024} KiB, process table resynchronising from /proc; events in the gap are missing."),
                SensorDataLossKind.SequenceGap => string.Create(CultureInfo.InvariantCulture, $"vigil sensor: {count} process-connector message(s) lost (sequence gap); {stats.LostMessages} lost since start, process table resynchronising from /proc."),
                _ => string.Create(CultureInfo.InvariantCulture, $"vigil sensor: {count} document(s) dropped because the consumer is not keeping up ({stats.ConsumerDrops} since start)."),
            };

            EventHandler<SensorDataLossEventArgs>? handler = DataLoss;
            if (handler is not null)
            {
                var args = new SensorDataLossEventArgs(kind, count, message, stats);
                ThreadPool.UnsafeQueueUserWorkItem(_ => handler(this, args), null);
            }
        }
    }
}
