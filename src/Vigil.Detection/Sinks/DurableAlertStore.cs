namespace Vigil.Detection;

/// <summary>
/// The SQLite <see cref="AlertStore"/> as an <see cref="IDurableAlertSink"/>: its <see cref="AlertStore.Commit"/> returns
/// once the transaction holding the pending alerts committed (WAL, full sync), and it keeps one row per alert uuid.
/// </summary>
public sealed class DurableAlertStore : IDurableAlertSink
{
    private readonly bool _ownsStore;

    /// <summary>Wraps <paramref name="store"/>; disposes it when <paramref name="ownsStore"/>.</summary>
    public DurableAlertStore(AlertStore store, bool ownsStore = true)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _ownsStore = ownsStore;
    }

    /// <summary>The store.</summary>
    public AlertStore Store { get; }

    /// <inheritdoc />
    public void Write(Alert alert) => Store.Write(alert);

    /// <inheritdoc />
    public void Flush() => Store.Commit();

    /// <inheritdoc />
    public void Commit() => Store.Commit();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsStore)
        {
            Store.Dispose();
        }
    }
}
