using System.Runtime.InteropServices;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Zeroed native memory for large, long-lived arrays that are replaced as they grow. On Linux a block of 64 KB or more
/// is an anonymous mapping of its own, so freeing it hands its pages back to the kernel at once. From <c>malloc</c>,
/// the blocks a growing <see cref="HashKeySet"/> left behind stayed in glibc's arenas, reusable only by blocks that
/// fit in them: under Segment ingestion the process's resident memory ran about 60 MB above the sets' own.
/// Elsewhere, and for small blocks, it is <see cref="NativeMemory"/>.
/// </summary>
internal static unsafe partial class PageMemory
{
    private const nuint MappedFrom = 64 * 1024;
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;

    /// <summary>A zeroed block of <paramref name="bytes"/>; free it with <see cref="Free"/> and the same size.</summary>
    public static void* AllocZeroed(nuint bytes)
    {
        if (!Mapped(bytes)) return NativeMemory.AllocZeroed(bytes);
        void* block = Mmap(null, bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (block == (void*)-1) throw new OutOfMemoryException($"Could not map {bytes} bytes (errno {Marshal.GetLastPInvokeError()}).");
        return block;
    }

    public static void Free(void* block, nuint bytes)
    {
        if (block is null) return;
        if (Mapped(bytes)) Munmap(block, bytes);
        else NativeMemory.Free(block);
    }

    private static bool Mapped(nuint bytes) => bytes >= MappedFrom && OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);
}
