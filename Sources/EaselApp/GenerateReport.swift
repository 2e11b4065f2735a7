import EaselCore
import Foundation

/// The lines `easel generate` prints for a job: a saved path (or one JSON object) on stdout, and the
/// failures on stderr. Pure: the command prints what these return.
public enum GenerateReport {
    /// What to print for one job.
    public struct Lines: Equatable, Sendable {
        /// For stdout: the saved paths (one a line), or the JSON object.
        public var stdout: String?
        /// For stderr, without the "easel: " lead-in.
        public var stderr: String?
        /// The job did not complete.
        public var failed: Bool
        /// The failed job's `JobError.kind` ("invalid_prompt", "network", …; "canceled"); nil when it completed.
        public var category: String? = nil

        public init(stdout: String?, stderr: String?, failed: Bool, category: String? = nil) {
            self.stdout = stdout
            self.stderr = stderr
            self.failed = failed
            self.category = category
        }
    }

    /// `easel generate`'s exit status for the jobs' `Lines` (README, "easel generate"): 2 when a prompt was
    /// refused (category `invalid_prompt`, by Easel or by the service), else 1 when any job failed, else 0.
    public static func exitStatus(_ jobs: [Lines]) -> Int32 {
        if jobs.contains(where: { $0.category == "invalid_prompt" }) { return 2 }
        return jobs.contains(where: \.failed) ? 1 : 0
    }

    /// A finished job: completed (every image the service made), failed or canceled.
    /// - Parameter now: for `elapsed_s` (seconds, two decimals).
    public static func finished(_ job: Job, json: Bool, now: ContinuousClock.Instant) -> Lines {
        var object: [String: Any] = [
            "elapsed_s": hundredths(job.elapsed(now: now)),
            "job_id": job.remoteID?.rawValue ?? "\(job.id.rawValue)", "seed": Int(job.request.seed),
        ]
        if let pool = job.pool {                       // which member of the pool ran it
            object["pool"] = pool
            object["backend"] = job.backend
        }
        switch job.state {
        case .complete(let image):
            // Every image the service made for the job (several for OpenAI `n`, lists of outputs).
            let paths = job.savedImages.isEmpty ? [image.path] : job.savedImages.map(\.path)
            object["status"] = "completed"
            object["file"] = image.path
            object["files"] = paths
            object["images"] = paths.count
            object["size"] = "\(image.width)x\(image.height)"
            return Lines(stdout: json ? encode(object) : paths.joined(separator: "\n"), stderr: nil, failed: false)
        case .failed(let error):
            object["status"] = "failed"
            object["error"] = ["category": error.kind, "message": error.message]
            return Lines(stdout: json ? encode(object) : nil, stderr: json ? nil : "job \(job.id.rawValue): \(error.message)", failed: true,
                         category: error.kind)
        default:
            object["status"] = "canceled"
            object["error"] = ["category": "canceled", "message": "canceled"]
            return Lines(stdout: json ? encode(object) : nil, stderr: nil, failed: true, category: "canceled")
        }
    }

    /// A job stopped by C-c or SIGTERM: a JSON object with `json`, else a line for stderr.
    public static func interrupted(_ job: Job, how: Headless.Interruption, signal: Int32, json: Bool,
                                   now: ContinuousClock.Instant) -> Lines {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        let remote = job.remoteID.map { " (job \(Sanitize.line($0.rawValue)) on the service)" } ?? ""
        let (status, message): (String, String) = switch how {
        case .notSent: ("canceled", "interrupted by \(name) before the service accepted it: nothing runs there")
        case .canceledOnService: ("canceled", "interrupted by \(name): canceled on the service\(remote)")
        case .cancelFailed(let error):
            ("interrupted", "interrupted by \(name): the cancel request failed (\(error.message)); it may still run on the service\(remote)")
        case .unanswered: ("interrupted", "interrupted by \(name): the service did not answer in time; it may still run there\(remote)")
        }
        guard json else { return Lines(stdout: nil, stderr: "job \(job.id.rawValue): \(message)", failed: true) }
        return Lines(stdout: encode([
            "status": status, "signal": name, "job_id": job.remoteID?.rawValue ?? "\(job.id.rawValue)", "seed": Int(job.request.seed),
            "elapsed_s": hundredths(job.elapsed(now: now)),
            "error": ["category": "canceled", "message": message],
        ]), stderr: nil, failed: true)
    }

    /// A failure of the whole run, as one JSON object: `{"status":"failed","error":{"category":…,"message":…}}`.
    public static func runFailed(category: String, message: String) -> String {
        encode(["status": "failed", "error": ["category": category, "message": message]])
    }

    /// One line of JSON, safe for a terminal: every control character, C1 (U+0080–U+009F) included, is
    /// a `\uXXXX` escape (`Sanitize.json`), so a server-supplied id cannot drive an 8-bit terminal.
    public static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Sanitize.json(String(decoding: data, as: UTF8.self))
    }

    /// Seconds rounded to two decimals.
    static func hundredths(_ d: Duration) -> Double { (d.inSeconds * 100).rounded() / 100 }
}
