/// glibc's `malloc_trim(3)` (malloc.h is not part of the Glibc module Swift imports).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

public enum Memory {
    /// Hands freed heap pages back to the system (`malloc_trim(0)`: every arena, via `madvise`).
    /// Called after the large, short-lived buffers of a decode and encode (a 1024² image is 4 MiB of
    /// RGBA plus the encoder's copies), so the studio's RSS falls back once a picture is on screen.
    /// Costs well under a millisecond; never call it per frame.
    public static func returnFreedPages() { _ = glibcMallocTrim(0) }
}
