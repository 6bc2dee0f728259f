using System.Buffers.Binary;

namespace Vigil.Sensor.Netlink;

/// <summary>The <c>what</c> field of a <c>struct proc_event</c>.</summary>
internal enum ProcEventKind : uint
{
    None = 0x0,
    Fork = 0x1,
    Exec = 0x2,
    Uid = 0x4,
    Gid = 0x40,
    Sid = 0x80,
    Ptrace = 0x100,
    Comm = 0x200,
    NonzeroExit = 0x2000_0000,
    Coredump = 0x4000_0000,
    Exit = 0x8000_0000,
}

/// <summary>
/// One decoded proc connector event. Field meaning depends on <see cref="Kind"/>:
/// fork: <see cref="Pid"/>/<see cref="Tgid"/> are the child, <see cref="ParentPid"/>/<see cref="ParentTgid"/> the parent;
/// exec: <see cref="Pid"/>/<see cref="Tgid"/>; exit: also <see cref="ExitCode"/> (wait status) and <see cref="ExitSignal"/>;
/// uid/gid: <see cref="RealId"/> and <see cref="EffectiveId"/> (stored in the exit slots);
/// none (ack): <see cref="ExitCode"/> holds <c>ack.err</c> and <see cref="Ack"/> the connector ack number.
/// </summary>
internal readonly record struct ProcEvent(
    ProcEventKind Kind,
    uint Cpu,
    uint Sequence,
    uint Ack,
    ulong TimestampNs,
    int Pid,
    int Tgid,
    int ParentPid,
    int ParentTgid,
    uint ExitCode,
    uint ExitSignal)
{
    /// <summary>For uid/gid events: the new real id.</summary>
    public uint RealId => ExitCode;

    /// <summary>For uid/gid events: the new effective id.</summary>
    public uint EffectiveId => ExitSignal;
}

/// <summary>
/// Wire layout of NETLINK_CONNECTOR / CN_PROC messages (see docs/SENSOR.md and the kernel headers
/// linux/netlink.h, connector.h, cn_proc.h). Little-endian; <c>proc_event</c> starts at offset 36, which is
/// not 8-byte aligned, so every read is an unaligned BinaryPrimitives read.
/// </summary>
internal static class ProcConnectorMessage
{
    public const int NlMsgHeaderSize = 16;
    public const int CnMsgSize = 20;
    public const int ProcEventSize = 40;
    public const int EventOffset = NlMsgHeaderSize + CnMsgSize;
    public const int EventMessageSize = EventOffset + ProcEventSize;
    public const int SubscribeMessageSize = EventOffset + 4;

    public const ushort NlMsgNoop = 1;
    public const ushort NlMsgError = 2;
    public const ushort NlMsgDone = 3;
    public const ushort NlMsgOverrun = 4;

    public const uint CnIdxProc = 1;
    public const uint CnValProc = 1;

    public const uint McastListen = 1;
    public const uint McastIgnore = 2;

    /// <summary>Size of <c>struct sockaddr_nl</c>.</summary>
    public const int SockAddrSize = 12;

    /// <summary>
    /// Writes the 40-byte PROC_CN_MCAST_LISTEN/IGNORE datagram: nlmsghdr, cn_msg (idx=val=1, len=4) and the op.
    /// <paramref name="ack"/> is echoed back +1 in the kernel's acknowledgement so ours can be told apart
    /// from another listener's (acks are multicast to every subscriber).
    /// </summary>
    public static void WriteSubscribe(Span<byte> buffer, uint portId, uint op, uint ack)
    {
        buffer = buffer[..SubscribeMessageSize];
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, SubscribeMessageSize);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], NlMsgDone);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[12..], portId);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[16..], CnIdxProc);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[20..], CnValProc);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[28..], ack);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[32..], 4);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[34..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[36..], op);
    }

    /// <summary>Writes <c>struct sockaddr_nl</c> for binding to the CN_IDX_PROC multicast group.</summary>
    public static void WriteSockAddr(Span<byte> buffer, uint portId, uint groups)
    {
        buffer = buffer[..SockAddrSize];
        buffer.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], portId);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], groups);
    }

    /// <summary>
    /// Decodes the first netlink message in <paramref name="datagram"/> that carries a proc event and
    /// returns how many bytes it used (aligned), so callers can walk a datagram holding several messages.
    /// Returns 0 when no further message fits; <paramref name="ev"/> is default for messages that are
    /// not proc events (noop, errors, other connector ids).
    /// </summary>
    public static int TryRead(ReadOnlySpan<byte> datagram, out ProcEvent ev, out bool isProcEvent)
    {
        ev = default;
        isProcEvent = false;
        if (datagram.Length < NlMsgHeaderSize)
        {
            return 0;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        if (length < NlMsgHeaderSize || length > (uint)datagram.Length)
        {
            return 0;
        }

        int consumed = Math.Min((int)((length + 3) & ~3u), datagram.Length);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
        if (type is NlMsgNoop or NlMsgError or NlMsgOverrun || length < EventOffset + 16)
        {
            return consumed;
        }

        ReadOnlySpan<byte> cn = datagram[NlMsgHeaderSize..(int)length];
        uint idx = BinaryPrimitives.ReadUInt32LittleEndian(cn);
        uint val = BinaryPrimitives.ReadUInt32LittleEndian(cn[4..]);
        if (idx != CnIdxProc || val != CnValProc)
        {
            return consumed;
        }

        uint seq = BinaryPrimitives.ReadUInt32LittleEndian(cn[8..]);
        uint ack = BinaryPrimitives.ReadUInt32LittleEndian(cn[12..]);
        int payloadLength = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(cn[16..]), cn.Length - CnMsgSize);

        // Copy into a full-size, zeroed proc_event so a shorter payload (an older kernel) reads as zeros.
        Span<byte> p = stackalloc byte[ProcEventSize];
        p.Clear();
        cn.Slice(CnMsgSize, Math.Min(payloadLength, ProcEventSize)).CopyTo(p);

        var kind = (ProcEventKind)BinaryPrimitives.ReadUInt32LittleEndian(p);
        uint cpu = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
        int d0 = BinaryPrimitives.ReadInt32LittleEndian(p[16..]);
        int d1 = BinaryPrimitives.ReadInt32LittleEndian(p[20..]);
        int d2 = BinaryPrimitives.ReadInt32LittleEndian(p[24..]);
        int d3 = BinaryPrimitives.ReadInt32LittleEndian(p[28..]);
        int d4 = BinaryPrimitives.ReadInt32LittleEndian(p[32..]);
        int d5 = BinaryPrimitives.ReadInt32LittleEndian(p[36..]);

        ev = kind switch
        {
            ProcEventKind.Fork => new ProcEvent(kind, cpu, seq, ack, ts, Pid: d2, Tgid: d3, ParentPid: d0, ParentTgid: d1, 0, 0),
            ProcEventKind.Exit => new ProcEvent(kind, cpu, seq, ack, ts, Pid: d0, Tgid: d1, ParentPid: d4, ParentTgid: d5, (uint)d2, (uint)d3),
            ProcEventKind.None => new ProcEvent(kind, cpu, seq, ack, ts, 0, 0, 0, 0, ExitCode: (uint)d0, 0),
            ProcEventKind.Uid or ProcEventKind.Gid => new ProcEvent(kind, cpu, seq, ack, ts, Pid: d0, Tgid: d1, 0, 0, (uint)d2, (uint)d3),
            _ => new ProcEvent(kind, cpu, seq, ack, ts, Pid: d0, Tgid: d1, 0, 0, 0, 0),
        };
        isProcEvent = true;
        return consumed;
    }

    /// <summary>
    /// Writes a 76-byte event datagram the way the kernel does; used by tests and benchmarks to feed the
    /// decoder without a kernel.
    /// </summary>
    public static void WriteEvent(Span<byte> buffer, in ProcEvent ev)
    {
        buffer = buffer[..EventMessageSize];
        buffer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, EventMessageSize);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], NlMsgDone);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[16..], CnIdxProc);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[20..], CnValProc);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], ev.Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[28..], ev.Ack);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[32..], ProcEventSize);
        Span<byte> p = buffer[EventOffset..];
        BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)ev.Kind);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], ev.Cpu);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], ev.TimestampNs);
        Span<byte> d = p[16..];
        switch (ev.Kind)
        {
            case ProcEventKind.Fork:
                BinaryPrimitives.WriteInt32LittleEndian(d, ev.ParentPid);
                BinaryPrimitives.WriteInt32LittleEndian(d[4..], ev.ParentTgid);
                BinaryPrimitives.WriteInt32LittleEndian(d[8..], ev.Pid);
                BinaryPrimitives.WriteInt32LittleEndian(d[12..], ev.Tgid);
                break;
            case ProcEventKind.Exit:
                BinaryPrimitives.WriteInt32LittleEndian(d, ev.Pid);
                BinaryPrimitives.WriteInt32LittleEndian(d[4..], ev.Tgid);
                BinaryPrimitives.WriteUInt32LittleEndian(d[8..], ev.ExitCode);
                BinaryPrimitives.WriteUInt32LittleEndian(d[12..], ev.ExitSignal);
                BinaryPrimitives.WriteInt32LittleEndian(d[16..], ev.ParentPid);
                BinaryPrimitives.WriteInt32LittleEndian(d[20..], ev.ParentTgid);
                break;
            case ProcEventKind.None:
                BinaryPrimitives.WriteUInt32LittleEndian(d, ev.ExitCode);
                break;
            case ProcEventKind.Uid or ProcEventKind.Gid:
                BinaryPrimitives.WriteInt32LittleEndian(d, ev.Pid);
                BinaryPrimitives.WriteInt32LittleEndian(d[4..], ev.Tgid);
                BinaryPrimitives.WriteUInt32LittleEndian(d[8..], ev.RealId);
                BinaryPrimitives.WriteUInt32LittleEndian(d[12..], ev.EffectiveId);
                break;
            default:
                BinaryPrimitives.WriteInt32LittleEndian(d, ev.Pid);
                BinaryPrimitives.WriteInt32LittleEndian(d[4..], ev.Tgid);
                break;
        }
    }

    /// <summary>
    /// Turns a kernel wait status (<c>task-&gt;exit_code</c>) into the exit code a shell would report:
    /// the exit status for a normal exit, 128 + signal number for a process killed by a signal.
    /// </summary>
    public static int DecodeExitCode(uint waitStatus)
    {
        uint signal = waitStatus & 0x7f;
        return signal == 0 ? (int)((waitStatus >> 8) & 0xff) : 128 + (int)signal;
    }
}
