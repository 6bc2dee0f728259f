using System.Buffers.Binary;
using Vigil.Sensor.Netlink;

namespace Vigil.Sensor.Tests;

public sealed class ProcConnectorMessageTests
{
    [Fact]
    public void Subscribe_Listen_Is40BytesAsDocumented()
    {
        byte[] buffer = new byte[64];
        ProcConnectorMessage.WriteSubscribe(buffer, portId: 0x1234, op: ProcConnectorMessage.McastListen, ack: 0);
        byte[] expected =
        [
            40, 0, 0, 0,        // nlmsg_len
            3, 0,               // NLMSG_DONE
            0, 0,               // flags
            0, 0, 0, 0,         // seq
            0x34, 0x12, 0, 0,   // nlmsg_pid
            1, 0, 0, 0,         // cn.id.idx = CN_IDX_PROC
            1, 0, 0, 0,         // cn.id.val = CN_VAL_PROC
            0, 0, 0, 0,         // cn.seq
            0, 0, 0, 0,         // cn.ack
            4, 0,               // cn.len
            0, 0,               // cn.flags
            1, 0, 0, 0,         // PROC_CN_MCAST_LISTEN
        ];
        Assert.Equal(ProcConnectorMessage.SubscribeMessageSize, 40);
        Assert.Equal(expected, buffer[..40]);
        Assert.All(buffer[40..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Subscribe_Ignore_CarriesOpTwoAndAckCookie()
    {
        byte[] buffer = new byte[40];
        ProcConnectorMessage.WriteSubscribe(buffer, 0, ProcConnectorMessage.McastIgnore, ack: 0xdeadbeef);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(36)));
        Assert.Equal(0xdeadbeefu, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(28)));
    }

    [Fact]
    public void SockAddr_BindsToProcGroup()
    {
        byte[] addr = new byte[12];
        ProcConnectorMessage.WriteSockAddr(addr, 0, ProcConnectorMessage.CnIdxProc);
        Assert.Equal(new byte[] { 16, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, addr);
    }

    [Fact]
    public void Fork_ParsedFromKernelLayout()
    {
        // Built by hand at the offsets of cn-proc-layout.txt rather than with WriteEvent, so the
        // reader is checked against the documented layout and not against our own writer.
        byte[] m = Datagram(what: 0x1, cpu: 1, seq: 41, ts: 123_456_789_012UL);
        Put(m, 36 + 16, 8323);
        Put(m, 36 + 20, 8323);
        Put(m, 36 + 24, 8324);
        Put(m, 36 + 28, 8324);

        int used = ProcConnectorMessage.TryRead(m, out ProcEvent ev, out bool isEvent);
        Assert.Equal(76, used);
        Assert.True(isEvent);
        Assert.Equal(new ProcEvent(ProcEventKind.Fork, 1, 41, 0, 123_456_789_012UL, Pid: 8324, Tgid: 8324, ParentPid: 8323, ParentTgid: 8323, 0, 0), ev);
    }

    [Fact]
    public void Exec_ParsedFromKernelLayout()
    {
        byte[] m = Datagram(what: 0x2, cpu: 0, seq: 7, ts: 5UL);
        Put(m, 36 + 16, 8324);
        Put(m, 36 + 20, 8324);
        ProcConnectorMessage.TryRead(m, out ProcEvent ev, out _);
        Assert.Equal(ProcEventKind.Exec, ev.Kind);
        Assert.Equal(8324, ev.Pid);
        Assert.Equal(8324, ev.Tgid);
        Assert.Equal(5UL, ev.TimestampNs);
    }

    [Fact]
    public void Exit_ParsedFromKernelLayout()
    {
        byte[] m = Datagram(what: 0x80000000, cpu: 1, seq: 9, ts: 99UL);
        Put(m, 36 + 16, 8324);
        Put(m, 36 + 20, 8324);
        Put(m, 36 + 24, 3 << 8);   // exit(3) as a wait status
        Put(m, 36 + 28, 17);       // SIGCHLD
        Put(m, 36 + 32, 8323);
        Put(m, 36 + 36, 8323);
        ProcConnectorMessage.TryRead(m, out ProcEvent ev, out _);
        Assert.Equal(new ProcEvent(ProcEventKind.Exit, 1, 9, 0, 99UL, 8324, 8324, 8323, 8323, 3u << 8, 17), ev);
        Assert.Equal(3, ProcConnectorMessage.DecodeExitCode(ev.ExitCode));
    }

    [Fact]
    public void Ack_CarriesErrorAndAckNumber()
    {
        byte[] m = Datagram(what: 0, cpu: 0, seq: 0, ts: 1UL);
        Put(m, 28, 43);           // cn.ack = our cookie + 1
        Put(m, 36 + 16, 0);       // ack.err
        ProcConnectorMessage.TryRead(m, out ProcEvent ev, out bool isEvent);
        Assert.True(isEvent);
        Assert.Equal(ProcEventKind.None, ev.Kind);
        Assert.Equal(43u, ev.Ack);
        Assert.Equal(0u, ev.ExitCode);
    }

    [Fact]
    public void Uid_CarriesRealAndEffectiveIds()
    {
        byte[] m = Datagram(what: 0x4, cpu: 0, seq: 3, ts: 1UL);
        Put(m, 36 + 16, 500);
        Put(m, 36 + 20, 500);
        Put(m, 36 + 24, 1000);   // ruid
        Put(m, 36 + 28, 0);      // euid
        ProcConnectorMessage.TryRead(m, out ProcEvent ev, out _);
        Assert.Equal(ProcEventKind.Uid, ev.Kind);
        Assert.Equal(500, ev.Pid);
        Assert.Equal(1000u, ev.RealId);
        Assert.Equal(0u, ev.EffectiveId);
    }

    [Fact]
    public void WriteEvent_RoundTrips()
    {
        var original = new ProcEvent(ProcEventKind.Exit, 3, 1000, 0, 42UL, 10, 10, 9, 9, 9, 17);
        byte[] m = new byte[76];
        ProcConnectorMessage.WriteEvent(m, original);
        ProcConnectorMessage.TryRead(m, out ProcEvent back, out _);
        Assert.Equal(original, back);
    }

    [Fact]
    public void Datagram_WithTwoMessages_ReadsBoth()
    {
        byte[] two = new byte[152];
        ProcConnectorMessage.WriteEvent(two, new ProcEvent(ProcEventKind.Exec, 0, 1, 0, 1, 100, 100, 0, 0, 0, 0));
        ProcConnectorMessage.WriteEvent(two.AsSpan(76), new ProcEvent(ProcEventKind.Exec, 0, 2, 0, 2, 200, 200, 0, 0, 0, 0));
        int used = ProcConnectorMessage.TryRead(two, out ProcEvent a, out _);
        ProcConnectorMessage.TryRead(two.AsSpan(used), out ProcEvent b, out _);
        Assert.Equal(76, used);
        Assert.Equal(100, a.Pid);
        Assert.Equal(200, b.Pid);
    }

    [Fact]
    public void Truncated_IsRejected()
    {
        byte[] m = Datagram(what: 0x2, cpu: 0, seq: 0, ts: 0);
        Assert.Equal(0, ProcConnectorMessage.TryRead(m.AsSpan(0, 30), out _, out _));
        Assert.Equal(0, ProcConnectorMessage.TryRead(m.AsSpan(0, 10), out _, out _));
    }

    [Fact]
    public void OtherConnector_IsNotAProcEvent()
    {
        byte[] m = Datagram(what: 0x2, cpu: 0, seq: 0, ts: 0);
        Put(m, 16, 7);   // another connector index
        Assert.Equal(76, ProcConnectorMessage.TryRead(m, out _, out bool isEvent));
        Assert.False(isEvent);
    }

    [Theory]
    [InlineData(0u, 0)]
    [InlineData(1u << 8, 1)]
    [InlineData(255u << 8, 255)]
    [InlineData(9u, 137)]          // SIGKILL
    [InlineData(15u, 143)]         // SIGTERM
    [InlineData(0x80u | 11u, 139)] // SIGSEGV with core dump
    public void ExitCode_DecodedLikeAShell(uint status, int code)
    {
        Assert.Equal(code, ProcConnectorMessage.DecodeExitCode(status));
    }

    [Fact]
    public void Sequence_GapsCountedPerCpu()
    {
        var t = new SequenceTracker();
        Assert.Equal(0, t.Observe(0, 10));
        Assert.Equal(0, t.Observe(1, 500));
        Assert.Equal(0, t.Observe(0, 11));
        Assert.Equal(3, t.Observe(0, 15));
        Assert.Equal(0, t.Observe(1, 501));
        Assert.Equal(0, t.Observe(uint.MaxValue, 0));   // unnumbered ack
        Assert.Equal(0, t.Observe(0, 16));
        Assert.Equal(1, t.Observe(70, 0) + t.Observe(70, 2));   // a CPU beyond the initial array
    }

    [Fact]
    public void Sequence_WrapsAround()
    {
        var t = new SequenceTracker();
        t.Observe(0, uint.MaxValue);
        Assert.Equal(0, t.Observe(0, 0));
        Assert.Equal(1, t.Observe(0, 2));
    }

    private static byte[] Datagram(uint what, uint cpu, uint seq, ulong ts)
    {
        byte[] m = new byte[76];
        Put(m, 0, 76);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), 3);
        Put(m, 16, 1);
        Put(m, 20, 1);
        Put(m, 24, (int)seq);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(32), 40);
        Put(m, 36, (int)what);
        Put(m, 40, (int)cpu);
        BinaryPrimitives.WriteUInt64LittleEndian(m.AsSpan(44), ts);
        return m;
    }

    private static void Put(byte[] m, int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(offset), value);
}
