import EaselCore
import Foundation

extension Gallery {
    /// File name extensions the browser lists.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp"]
    /// The gallery's star list: one path relative to the root per line.
    var starsPath: String { directory + "/.starred" }

    /// Every image under the gallery root (sub-folders included, hidden files and folders skipped),
    /// newest first (modification time, then name). Runs on the caller's thread: call it off the UI thread.
    /// - Throws: `JobError.storage` when the root cannot be listed (a missing root is an empty gallery).
    public func scan() throws(JobError) -> [GalleryEntry] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else { throw .storage("\(directory): \(String(cString: strerror(ENOTDIR)))") }
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw .storage("\(directory): cannot be listed")
        }
        let stars = Set(readStars())
        var out: [GalleryEntry] = []
        while let relative = walker.nextObject() as? String {
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            if name.hasPrefix(".") { walker.skipDescendants(); continue }
            guard let dot = name.lastIndex(of: "."), Self.imageExtensions.contains(name[name.index(after: dot)...].lowercased()) else {
                continue
            }
            let path = directory + "/" + relative
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            out.append(GalleryEntry(path: path, name: relative, modified: modified, size: Int(st.st_size),
                                    starred: stars.contains(relative)))
        }
        out.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.name > $1.name }
        return out
    }

    /// Deletes an image and its sidecar `.json` (when there is one), and drops its star.
    /// - Throws: `JobError.storage` with the path and the system's reason; refuses paths outside the gallery.
    public func delete(_ path: String) throws(JobError) {
        let relative = try relativePath(path)
        guard unlink(path) == 0 else { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        if let dot = path.lastIndex(of: "."), path[dot...] != ".json" {
            unlink(String(path[..<dot]) + ".json")
        }
        let stars = readStars()
        if stars.contains(relative) { try writeStars(stars.filter { $0 != relative }) }
    }

    /// Stars or unstars an image in the `.starred` list.
    /// - Throws: `JobError.storage` when the list cannot be written; refuses paths outside the gallery.
    public func setStar(_ path: String, _ starred: Bool) throws(JobError) {
        let relative = try relativePath(path)
        var stars = readStars().filter { $0 != relative }
        if starred { stars.append(relative) }
        try writeStars(stars)
    }

    private func relativePath(_ path: String) throws(JobError) -> String {
        let root = directory.hasSuffix("/") ? directory : directory + "/"
        guard path.hasPrefix(root), !path.split(separator: "/").contains("..") else {
            throw .storage("\(path): not in the gallery \(directory)")
        }
        return String(path.dropFirst(root.count))
    }

    private func readStars() -> [String] {
        guard let bytes = try? Self.readFile(starsPath, limit: 16 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Replaces the star list atomically (temporary file, `fsync`, `rename`).
    private func writeStars(_ stars: [String]) throws(JobError) {
        try Self.makeDirectories(directory)
        let tmp = try Self.temporaryCopy(Array(stars.map { $0 + "\n" }.joined().utf8), folder: directory)
        guard rename(tmp, starsPath) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw .storage("\(starsPath): \(why)")
        }
    }
}
