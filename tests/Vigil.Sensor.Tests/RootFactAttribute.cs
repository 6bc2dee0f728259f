using Vigil.Sensor.Testing;

namespace Vigil.Sensor.Tests;

/// <summary>A fact that needs root and the real kernel process connector; skipped, with the reason, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Interop.LibC.GetEUid() != 0)
        {
            Skip = "needs root (CAP_NET_ADMIN in the host namespaces) for the kernel process connector; CI runs as root";
        }
    }
}

/// <summary>A fact that needs root to simulate a container (cgroups, namespaces); skipped, with the reason, otherwise.</summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public ContainerFactAttribute()
    {
        if (Interop.LibC.GetEUid() != 0)
        {
            Skip = SimulatedContainer.Unavailable() ?? "needs root";
        }
    }
}

/// <summary>Kernel tests share the machine's process activity; running them one at a time keeps timing sane.</summary>
[CollectionDefinition("kernel", DisableParallelization = true)]
public sealed class KernelCollection;
