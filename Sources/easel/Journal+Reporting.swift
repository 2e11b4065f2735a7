import EaselApp
import EaselCore
import EaselStore
import Foundation

extension Journal {
    /// Opens the journal in `directory`; when a damaged file was moved aside, says so on stderr.
    /// - Throws: `CLIError` "journal: PATH …" with the reason (locked, permissions).
    static func openReporting(directory: String) throws -> Journal {
        let journal: Journal
        do { journal = try Journal(directory: directory) } catch { throw CLIError("journal: \(error.detail)", category: "journal") }
        if let recovery = journal.recovery {
            FileHandle.standardError.write(Data("easel: journal: \(Sanitize.line(recovery))\n".utf8))
        }
        return journal
    }
}

extension JobError {
    /// The reason without the category's lead-in ("could not save: "), for start-up checks.
    var detail: String {
        if case .storage(let why) = self { return Sanitize.line(why) }
        return message
    }
}
