namespace Vigil.Sensor.Procfs;

/// <summary>A character device number split into major and minor.</summary>
internal readonly record struct TtyDevice(int Major, int Minor)
{
    /// <summary>
    /// Decodes <c>tty_nr</c> from /proc/PID/stat (the kernel's <c>new_encode_dev</c>): major is bits 8–19,
    /// minor is bits 0–7 plus bits 20–31. A 4-bit major mask (as some libraries use) would turn pts (136) into 8.
    /// Returns null when there is no controlling terminal.
    /// </summary>
    public static TtyDevice? Decode(int ttyNr)
    {
        if (ttyNr == 0)
        {
            return null;
        }

        uint v = (uint)ttyNr;
        int major = (int)((v >> 8) & 0xfff);
        int minor = (int)((v & 0xff) | ((v >> 12) & 0xfff00));
        return new TtyDevice(major, minor);
    }

    /// <summary>
    /// Elastic's definition (beats, quark): interactive when the controlling terminal is a pseudo-terminal
    /// (Unix98 pts majors 136–143) or a virtual console / serial tty (major 4).
    /// </summary>
    public bool IsInteractive => Major == 4 || Major is >= 136 and <= 143;

    /// <summary>True for tty_nr values that <see cref="Decode"/> maps to an interactive terminal.</summary>
    public static bool IsInteractiveTtyNr(int ttyNr) => Decode(ttyNr) is { IsInteractive: true };
}
