using System.Runtime.InteropServices;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Lowers the CPU priority of the calling thread (its Linux nice value), so that work which may lag (appending
/// to the event store, DuckDB's checkpoints within it) yields the CPU to work clients wait on. .NET's
/// <see cref="Thread.Priority"/> does nothing on Linux; there each thread has its own nice value.
/// </summary>
internal static partial class ThreadPriority
{
    private const int PrioProcess = 0;

    /// <summary>Sets the calling thread's nice value (0 normal, 19 lowest); false where that is not possible.</summary>
    public static bool TryLowerCurrent(int nice)
    {
        if (nice <= 0 || !OperatingSystem.IsLinux()) return false;
        try
        {
            return SetPriority(PrioProcess, GetTid(), Math.Min(nice, 19)) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
