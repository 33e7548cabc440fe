using System.Runtime.InteropServices;

namespace Lodestar.Engine.Ingestion;

/// <summary>
/// Zeroed native memory for large, long-lived arrays that are replaced as they grow. On Linux with glibc, a block of
/// 64 KB or more is an anonymous mapping of its own, so freeing it hands its pages back to the kernel at once. From
/// <c>malloc</c>, the blocks a growing <see cref="HashKeySet"/> left behind stayed in glibc's arenas, reusable only by
/// blocks that fit in them: under Segment ingestion the process's resident memory ran about 60 MB above the sets' own.
/// Elsewhere, and for small blocks, it is <see cref="NativeMemory"/>.
/// </summary>
/// <remarks>
/// <c>mmap</c> and <c>munmap</c> are looked up in <c>libc.so.6</c> at run time rather than imported from "libc": that
/// name resolves only where the C development files are installed (<c>libc.so</c> is their linker script). Where the
/// lookup fails (musl, say), every block comes from <see cref="NativeMemory"/>.
/// </remarks>
internal static unsafe class PageMemory
{
    private const nuint MappedFrom = 64 * 1024;
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;

    private static readonly delegate* unmanaged<void*, nuint, int, int, int, nint, void*> Mmap;
    private static readonly delegate* unmanaged<void*, nuint, int> Munmap;

    static PageMemory()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return;
        if (NativeLibrary.TryGetExport(libc, "mmap", out var mmap) && NativeLibrary.TryGetExport(libc, "munmap", out var munmap))
        {
            Mmap = (delegate* unmanaged<void*, nuint, int, int, int, nint, void*>)mmap;
            Munmap = (delegate* unmanaged<void*, nuint, int>)munmap;
        }
    }

    /// <summary>Whether large blocks are mappings of their own here.</summary>
    public static bool MapsLargeBlocks => Mmap is not null;

    /// <summary>A zeroed block of <paramref name="bytes"/>; free it with <see cref="Free"/> and the same size.</summary>
    public static void* AllocZeroed(nuint bytes)
    {
        if (!Mapped(bytes)) return NativeMemory.AllocZeroed(bytes);
        void* block = Mmap(null, bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (block == (void*)-1) throw new OutOfMemoryException($"Could not map {bytes} bytes (errno {Marshal.GetLastSystemError()}).");
        return block;
    }

    public static void Free(void* block, nuint bytes)
    {
        if (block is null) return;
        if (Mapped(bytes)) Munmap(block, bytes);
        else NativeMemory.Free(block);
    }

    private static bool Mapped(nuint bytes) => bytes >= MappedFrom && Mmap is not null;
}
