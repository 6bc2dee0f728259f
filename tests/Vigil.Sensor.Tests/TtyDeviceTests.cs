using Vigil.Sensor.Procfs;

namespace Vigil.Sensor.Tests;

public sealed class TtyDeviceTests
{
    [Theory]
    [InlineData(34816, 136, 0)]      // pts/0
    [InlineData(34817, 136, 1)]      // pts/1
    [InlineData(1025, 4, 1)]         // tty1
    [InlineData(1088, 4, 64)]        // ttyS0
    [InlineData(1083392, 136, 256)]  // pts/256: minor's high bits live above bit 20
    [InlineData(35840, 140, 0)]      // pts, second major of the range
    public void Decode_TtyNr_SplitsMajorMinor(int ttyNr, int major, int minor)
    {
        Assert.Equal(new TtyDevice(major, minor), TtyDevice.Decode(ttyNr));
    }

    [Fact]
    public void Decode_Zero_IsNoTty()
    {
        Assert.Null(TtyDevice.Decode(0));
        Assert.False(TtyDevice.IsInteractiveTtyNr(0));
    }

    [Theory]
    [InlineData(34816, true)]   // 136:0
    [InlineData(36608, true)]   // 143:0
    [InlineData(36864, false)]  // 144:0 past the pts range
    [InlineData(1025, true)]    // 4:1
    [InlineData(1280, false)]   // 5:0 /dev/tty
    [InlineData(34560, false)]  // 135:0
    [InlineData(0, false)]
    public void IsInteractive_FollowsElasticDefinition(int ttyNr, bool interactive)
    {
        Assert.Equal(interactive, TtyDevice.IsInteractiveTtyNr(ttyNr));
    }
}
