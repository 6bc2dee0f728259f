namespace Vigil.Sensor.Tests;

public sealed class SensorPrivilegesTests
{
    private const ulong HostPid = 4026531836;
    private const ulong HostUser = 4026531837;

    [Fact]
    public void Root_InHostNamespaces_IsFine()
    {
        Assert.Null(SensorPrivileges.Evaluate("CapEff:\t000001ffffffffff\n", HostPid, HostUser, 4026531833, 4026531833));
    }

    [Fact]
    public void OnlyNetAdmin_IsEnough()
    {
        Assert.Null(SensorPrivileges.Evaluate("CapEff:\t0000000000001000\n", HostPid, HostUser, 0, 0));
    }

    [Fact]
    public void NoNetAdmin_SaysWhatIsMissing()
    {
        string? message = SensorPrivileges.Evaluate("CapEff:\t0000000000000000\n", HostPid, HostUser, 0, 0);
        Assert.NotNull(message);
        Assert.Contains("CAP_NET_ADMIN", message, StringComparison.Ordinal);
        Assert.Contains("root", message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherPidNamespace_SaysHostPid()
    {
        string? message = SensorPrivileges.Evaluate("CapEff:\t000001ffffffffff\n", 4026532500, HostUser, 0, 0);
        Assert.Contains("PID namespace", message, StringComparison.Ordinal);
        Assert.Contains("hostPID", message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherUserAndNetNamespaces_AreReported()
    {
        string? message = SensorPrivileges.Evaluate("CapEff:\t000001ffffffffff\n", HostPid, 4026532600, 4026532700, 4026531833);
        Assert.Contains("user namespace", message, StringComparison.Ordinal);
        Assert.Contains("network namespace", message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableStatus_IsAProblem()
    {
        Assert.NotNull(SensorPrivileges.Evaluate(null, HostPid, HostUser, 0, 0));
    }

    [Fact]
    public void KernelRefusal_MessageNamesTheFix()
    {
        string message = SensorPrivileges.MissingPrivilegeMessage("bind to the proc connector group", 1);
        Assert.Contains("errno 1", message, StringComparison.Ordinal);
        Assert.Contains("CAP_NET_ADMIN", message, StringComparison.Ordinal);
        Assert.Contains("--pid=host", message, StringComparison.Ordinal);
    }

    [RootFact]
    public void Check_OnThisMachineAsRoot_IsNull()
    {
        Assert.Null(SensorPrivileges.Check());
    }
}
