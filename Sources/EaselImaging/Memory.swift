/// glibc's `malloc_trim(3)` and `mallopt(3)` (malloc.h is not part of the Glibc module Swift imports).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

public enum Memory {
    /// Hands freed heap pages back to the system (`malloc_trim(0)`: every arena, via `madvise`).
    /// Called after the large, short-lived buffers of a decode and encode (a 1024² image is 4 MiB of
    /// RGBA plus the encoder's copies), so the studio's RSS falls back once a picture is on screen.
    /// Costs well under a millisecond; never call it per frame.
    public static func returnFreedPages() { _ = glibcMallocTrim(0) }

    /// Tunes glibc malloc for a process that handles images (the studio calls it first thing):
    /// - two arenas (`M_ARENA_MAX`): glibc gives every thread that mallocs its own arena, and the encode,
    ///   HTTP and server threads would each keep megabytes of freed memory;
    /// - blocks of 128 KiB and more (images, their scaled copies, PNG and sixel bytes) mapped and unmapped
    ///   on their own (`M_MMAP_THRESHOLD`). Left dynamic, glibc raises that threshold to the largest block
    ///   freed (4 MiB after one 1024² RGBA image) and later image buffers stay in the heap once freed:
    ///   `make bench` measured 60.4 and 67.1 MiB with a picture shown (sixel, blocks) against the 60 MB
    ///   goal, and 54.9 and 55.2 MiB with it fixed.
    public static func keepImageMemoryReturnable() {
        _ = glibcMallopt(-8 /* M_ARENA_MAX, malloc.h */, 2)
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD, malloc.h */, 128 * 1024)
    }
}
