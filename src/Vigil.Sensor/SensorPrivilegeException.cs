namespace Vigil.Sensor;

/// <summary>The sensor cannot start because the process lacks a privilege or runs in the wrong namespaces.</summary>
public sealed class SensorPrivilegeException : UnauthorizedAccessException
{
    /// <summary>Creates the exception with a message saying what is missing and how to provide it.</summary>
    public SensorPrivilegeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public SensorPrivilegeException()
        : base("The process sensor lacks the privileges it needs (root or CAP_NET_ADMIN in the host namespaces).")
    {
    }

    /// <summary>Creates the exception wrapping another.</summary>
    public SensorPrivilegeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
