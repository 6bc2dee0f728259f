using System.Text.Json;

namespace Vigil.Sensor.Tests;

/// <summary>Drains a running sensor in the background and lets a test wait for documents it expects.</summary>
internal sealed class EventCollector : IAsyncDisposable
{
    private readonly List<(SensorEvent Event, JsonElement Doc)> _seen = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private readonly SemaphoreSlim _signal = new(0);

    public EventCollector(ProcessSensor sensor)
    {
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (SensorEvent ev in sensor.ReadAllAsync(_stop.Token))
                {
                    JsonElement doc = JsonPath.Parse(ev);
                    lock (_seen)
                    {
                        _seen.Add((ev, doc));
                    }

                    _signal.Release();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public int Count
    {
        get
        {
            lock (_seen)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Waits until <paramref name="match"/> holds for some document and returns it.</summary>
    public async Task<(SensorEvent Event, JsonElement Doc)> WaitFor(Func<JsonElement, bool> match, string what, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        int from = 0;
        while (true)
        {
            lock (_seen)
            {
                for (; from < _seen.Count; from++)
                {
                    if (match(_seen[from].Doc))
                    {
                        return _seen[from];
                    }
                }
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no document for {what} among {Count} received");
            }

            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
        _signal.Dispose();
    }
}
