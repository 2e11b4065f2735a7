import EaselCore
import Foundation

/// Downloaded images whose gallery save failed (disk full, read-only, permission), kept in the
/// state folder (`$XDG_STATE_HOME/easel/pending/job-N.img`) until a retry saves them: a paid
/// generation is never lost to a storage error, and the retry does not download again.
public struct PendingImages: Sendable {
    /// Absolute path of the folder.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `<journal folder>/pending`, i.e. `$XDG_STATE_HOME/easel/pending` by default.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        Journal.defaultDirectory(environment: environment) + "/pending"
    }

    /// Where job `id`'s bytes are kept.
    public func path(for id: JobID) -> String { "\(directory)/job-\(id.rawValue).img" }

    /// Keeps `bytes` for job `id` (replacing an older copy): temporary file, `fsync`, `rename(2)`.
    /// - Throws: `JobError.storage` with the path and the system's reason.
    public func store(_ bytes: [UInt8], for id: JobID) throws(JobError) {
        var prefix = ""
        for part in directory.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw .storage("\(prefix): \(String(cString: strerror(errno)))") }
        }
        let tmp = try Gallery.temporaryCopy(bytes, folder: directory)
        guard rename(tmp, path(for: id)) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw .storage("\(path(for: id)): \(why)")
        }
    }

    /// The kept bytes for job `id`, or nil when there are none.
    public func load(_ id: JobID) -> [UInt8]? {
        try? Gallery.readFile(path(for: id), limit: 512 << 20)
    }

    /// Forgets job `id`'s bytes (after a successful save).
    public func remove(_ id: JobID) {
        unlink(path(for: id))
    }
}
