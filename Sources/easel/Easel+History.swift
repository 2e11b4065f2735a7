import ArgumentParser
import EaselApp
import EaselCore
import EaselStore
import Foundation

extension Easel {
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the job journal, newest first, jobs still in flight included.",
            discussion: "Reads only: a state folder without a journal is an error, never created.")

        @Flag(help: "One JSON object per job.")
        var json = false

        @Option(help: "Only jobs whose prompt or backend contains TEXT, or whose seed is TEXT.")
        var search: String?

        // `.unconditional`: `--limit -1` is read as a (refused) value, not as an unknown option.
        @Option(parsing: .unconditional, help: "At most N jobs; 0 for all.")
        var limit: Int = 50

        @Option(help: "Folder of the job journal (default: $XDG_STATE_HOME/easel).")
        var stateDir: String?

        func validate() throws {
            guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more") }
        }

        func run() throws {
            let journal: Journal
            do { journal = try Journal(directory: stateDir ?? Journal.defaultDirectory(), readOnly: true) }
            catch { throw CLIError("journal: \(error.detail)") }
            let rows: [JobRecord]
            do { rows = try journal.history(limit: limit == 0 ? nil : limit, search: search, includingInFlight: true) }
            catch { throw CLIError("journal: \(error.detail)") }
            for r in rows {
                if json {
                    let data = (try? JSONEncoder().encode(r)) ?? Data()
                    print(Sanitize.json(String(decoding: data, as: UTF8.self)))
                    continue
                }
                let inFlight = JobState.activeKeys.contains(r.state)
                let glyph = inFlight ? "…" : r.state == "complete" ? "✓" : r.state == "canceled" ? "⊘" : "✗"
                let when = Date(timeIntervalSince1970: r.createdAt).formatted(date: .numeric, time: .shortened)
                let tail = inFlight ? "\(r.state) on \(r.backend)" + (r.remoteID.map { " (remote id \($0))" } ?? "")
                    : r.file ?? r.errorMessage ?? r.state
                print("\(glyph) \(when)  seed \(r.seed)  \(Sanitize.line(r.prompt).prefix(60))  — \(Sanitize.line(tail))")
            }
        }
    }
}
