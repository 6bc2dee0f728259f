using System.Runtime.InteropServices;
using Vigil.Sensor.Interop;

namespace Vigil.Sensor.Netlink;

/// <summary>Result of one non-blocking receive.</summary>
internal enum ReceiveStatus
{
    Data,
    WouldBlock,
    Overrun,
    Interrupted,
}

/// <summary>
/// A NETLINK_CONNECTOR socket subscribed to CN_IDX_PROC. Owned by one thread at a time
/// (the sensor's receive thread once started); only <see cref="Wake"/> may be called from elsewhere.
/// </summary>
internal sealed unsafe class ProcConnectorSocket : IDisposable
{
    private int _fd = -1;
    private int _wakeFd = -1;
    private readonly uint _ackCookie;

    private ProcConnectorSocket(int fd, int wakeFd)
    {
        _fd = fd;
        _wakeFd = wakeFd;
        _ackCookie = (uint)Random.Shared.Next(1, int.MaxValue);
    }

    /// <summary>The receive buffer size last requested (the kernel reports twice this through getsockopt).</summary>
    public int ReceiveBufferBytes { get; private set; }

    /// <summary>Opens the socket and binds it to the proc connector multicast group.</summary>
    /// <exception cref="SensorPrivilegeException">The kernel refused the bind (EPERM/EACCES).</exception>
    public static ProcConnectorSocket Open()
    {
        int fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.NETLINK_CONNECTOR);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno is LibC.EPERM or LibC.EACCES
                ? new SensorPrivilegeException(SensorPrivileges.MissingPrivilegeMessage("socket(AF_NETLINK, NETLINK_CONNECTOR)", errno))
                : new IOException($"socket(AF_NETLINK, NETLINK_CONNECTOR) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        int wakeFd = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (wakeFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            throw new IOException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        var socket = new ProcConnectorSocket(fd, wakeFd);
        try
        {
            // nl_pid 0 lets the kernel pick a unique port id, so several sensors (tests) can coexist.
            byte* addr = stackalloc byte[ProcConnectorMessage.SockAddrSize];
            ProcConnectorMessage.WriteSockAddr(new Span<byte>(addr, ProcConnectorMessage.SockAddrSize), 0, ProcConnectorMessage.CnIdxProc);
            if (LibC.Bind(fd, addr, ProcConnectorMessage.SockAddrSize) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno is LibC.EPERM or LibC.EACCES
                    ? new SensorPrivilegeException(SensorPrivileges.MissingPrivilegeMessage("bind to the proc connector group", errno))
                    : new IOException($"bind(NETLINK_CONNECTOR, CN_IDX_PROC) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    /// <summary>The connector ack number our LISTEN carries; the kernel's reply carries this + 1.</summary>
    public uint AckCookie => _ackCookie;

    /// <summary>Sends PROC_CN_MCAST_LISTEN or IGNORE.</summary>
    public void SendControl(uint op)
    {
        byte* msg = stackalloc byte[ProcConnectorMessage.SubscribeMessageSize];
        ProcConnectorMessage.WriteSubscribe(new Span<byte>(msg, ProcConnectorMessage.SubscribeMessageSize), 0, op, _ackCookie);
        nint sent = LibC.Send(_fd, msg, ProcConnectorMessage.SubscribeMessageSize, 0);
        if (sent < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno is LibC.EPERM or LibC.EACCES
                ? new SensorPrivilegeException(SensorPrivileges.MissingPrivilegeMessage("subscribe to proc events", errno))
                : new IOException($"send(PROC_CN_MCAST) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>
    /// Sets the receive buffer, with SO_RCVBUFFORCE first so <c>net.core.rmem_max</c> does not cap it
    /// (needs CAP_NET_ADMIN, which the sensor has), falling back to SO_RCVBUF.
    /// </summary>
    public int SetReceiveBuffer(int bytes)
    {
        int value = bytes;
        if (LibC.SetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, &value, sizeof(int)) != 0)
        {
            LibC.SetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &value, sizeof(int));
        }

        int actual = 0;
        uint len = sizeof(int);
        if (LibC.GetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &actual, &len) == 0)
        {
            // Linux doubles the requested value to account for bookkeeping; report what we asked for when it stuck.
            ReceiveBufferBytes = actual >= bytes * 2 ? bytes : actual / 2;
        }
        else
        {
            ReceiveBufferBytes = bytes;
        }

        return ReceiveBufferBytes;
    }

    /// <summary>Non-blocking receive of one datagram.</summary>
    public ReceiveStatus TryReceive(Span<byte> buffer, out int length)
    {
        fixed (byte* p = buffer)
        {
            nint n = LibC.Recv(_fd, p, (nuint)buffer.Length, LibC.MSG_DONTWAIT);
            if (n >= 0)
            {
                length = (int)n;
                return ReceiveStatus.Data;
            }
        }

        length = 0;
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            LibC.EAGAIN => ReceiveStatus.WouldBlock,
            LibC.ENOBUFS => ReceiveStatus.Overrun,
            LibC.EINTR => ReceiveStatus.Interrupted,
            _ => throw new IOException($"recv on the proc connector socket failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"),
        };
    }

    /// <summary>Blocks until data is readable, <see cref="Wake"/> was called, or the timeout passes. Returns false when woken.</summary>
    public bool WaitReadable(int timeoutMs)
    {
        LibC.PollFd* fds = stackalloc LibC.PollFd[2];
        fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.POLLIN };
        fds[1] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
        int r = LibC.Poll(fds, 2, timeoutMs);
        return r <= 0 || (fds[1].REvents & LibC.POLLIN) == 0;
    }

    /// <summary>Wakes a thread blocked in <see cref="WaitReadable"/>; safe from any thread.</summary>
    public void Wake()
    {
        ulong one = 1;
        int fd = Volatile.Read(ref _wakeFd);
        if (fd >= 0)
        {
            LibC.Write(fd, (byte*)&one, sizeof(ulong));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            LibC.Close(fd);
        }

        int wake = Interlocked.Exchange(ref _wakeFd, -1);
        if (wake >= 0)
        {
            LibC.Close(wake);
        }
    }
}
