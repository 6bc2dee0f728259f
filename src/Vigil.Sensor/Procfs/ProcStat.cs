using System.Buffers.Text;
using System.Text;

namespace Vigil.Sensor.Procfs;

/// <summary>The fields of <c>/proc/PID/stat</c> the sensor uses (proc(5) field numbers in the comments).</summary>
/// <param name="Pid">Field 1.</param>
/// <param name="Comm">Field 2 without the parentheses; may itself contain spaces and parentheses.</param>
/// <param name="State">Field 3 (R, S, D, Z, ...).</param>
/// <param name="ParentPid">Field 4.</param>
/// <param name="ProcessGroupId">Field 5.</param>
/// <param name="SessionId">Field 6.</param>
/// <param name="TtyNr">Field 7: the controlling terminal's encoded device number, 0 for none.</param>
/// <param name="StartTicks">Field 22: start time in clock ticks since boot.</param>
internal sealed record ProcStat(
    int Pid,
    string Comm,
    char State,
    int ParentPid,
    int ProcessGroupId,
    int SessionId,
    int TtyNr,
    ulong StartTicks)
{
    /// <summary>
    /// Parses the content of a stat file. The command name is taken between the first '(' and the
    /// <em>last</em> ')', because a process may name itself anything, including "a) b (" — splitting on
    /// spaces or on the first ')' would shift every later field.
    /// </summary>
    public static ProcStat? Parse(ReadOnlySpan<byte> text)
    {
        int open = text.IndexOf((byte)'(');
        int close = text.LastIndexOf((byte)')');
        if (open <= 0 || close < open)
        {
            return null;
        }

        if (!Utf8Parser.TryParse(text[..open].Trim((byte)' '), out int pid, out _))
        {
            return null;
        }

        string comm = Encoding.UTF8.GetString(text[(open + 1)..close]);
        ReadOnlySpan<byte> rest = text[(close + 1)..];

        // Fields after the command, numbered from 3 (state).
        char state = '?';
        int ppid = 0, pgrp = 0, session = 0, ttyNr = 0;
        ulong startTicks = 0;
        int field = 2;
        bool sawStart = false;
        bool ok = true;
        while (!rest.IsEmpty)
        {
            rest = rest.TrimStart((byte)' ');
            if (rest.IsEmpty)
            {
                break;
            }

            int end = rest.IndexOfAny((byte)' ', (byte)'\n');
            ReadOnlySpan<byte> token = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            field++;
            switch (field)
            {
                case 3:
                    state = (char)token[0];
                    break;
                case 4:
                    ok &= Utf8Parser.TryParse(token, out ppid, out _);
                    break;
                case 5:
                    ok &= Utf8Parser.TryParse(token, out pgrp, out _);
                    break;
                case 6:
                    ok &= Utf8Parser.TryParse(token, out session, out _);
                    break;
                case 7:
                    ok &= Utf8Parser.TryParse(token, out ttyNr, out _);
                    break;
                case 22:
                    sawStart = Utf8Parser.TryParse(token, out startTicks, out _);
                    break;
            }

            if (field >= 22)
            {
                break;
            }
        }

        return ok && sawStart ? new ProcStat(pid, comm, state, ppid, pgrp, session, ttyNr, startTicks) : null;
    }
}
