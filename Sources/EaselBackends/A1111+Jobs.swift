import EaselCore
import EaselHTTP
import Foundation

/// The A1111 adapter's own jobs: a FIFO of jobs waiting to be sent, the one job whose txt2img holds the
/// web UI, and the outcomes (image base64 + reported seed) of the last `keep` finished jobs.
actor A1111Jobs {
    /// What a finished txt2img left: `images[index_of_first_image]` as the server sent it (base64, maybe
    /// with a `data:` prefix) and `info.seed`.
    struct Finished: Sendable {
        let image: String
        let seed: Int?
    }

    enum Snapshot: Sendable {
        case unknown
        /// Waiting locally; `position` counts from 1.
        case waiting(position: Int)
        /// Its txt2img is (about to be) on the wire.
        case sent
        /// `sent` when its txt2img had gone out (and was interrupted), false when it was dropped locally.
        case canceled(sent: Bool)
        case finished(Result<Finished, JobError>)
    }

    enum CancelOutcome: Sendable {
        /// Unknown, finished or already canceled: nothing to do.
        case none
        /// It was waiting locally and is dropped.
        case dropped
        /// Its txt2img is out; `begun` when `/progress` showed the web UI running it.
        case sent(begun: Bool)
    }

    private enum Phase {
        case waiting
        case sent(begun: Bool)
        /// `inFlight` while its txt2img has not returned yet (it still holds the web UI); `sent` when it went out.
        case canceled(inFlight: Bool, sent: Bool)
        case finished(Result<Finished, JobError>)
    }

    private struct Entry {
        var phase: Phase
        var progress: Double? = nil
        var preview: ImageData? = nil
    }

    /// Finished and canceled jobs kept for `status`, `download` and `reportedSeed`, with their images
    /// (a 1024×1024 PNG is ~2 MB of base64), so a failed save can still download again.
    static let keep = 16

    private var entries: [String: Entry] = [:]
    private var waiting: [String] = []
    private var active: String?
    private var turns: [String: CheckedContinuation<Bool, Never>] = [:]
    private var done: [String] = []
    private var next = 0
    /// Makes ids unique across runs, so a journaled id from an earlier run is `.notFound`, not another job.
    private let session = String(UInt32.random(in: .min ... .max), radix: 16)

    /// A new job: it takes the web UI at once when nothing of ours holds it.
    /// - Returns: its id and its local queue position (nil when it goes out now).
    func add() -> (String, Int?) {
        next += 1
        let id = "a1111-\(session)-\(next)"
        if active == nil {
            active = id
            entries[id] = Entry(phase: .sent(begun: false))
            return (id, nil)
        }
        waiting.append(id)
        entries[id] = Entry(phase: .waiting)
        return (id, waiting.count)
    }

    /// Returns true when the job may send its txt2img now; false when it was canceled first.
    func waitForTurn(_ id: String) async -> Bool {
        if active == id {
            if case .sent = entries[id]?.phase { return true }
            release(id)
            return false
        }
        guard case .waiting = entries[id]?.phase else { return false }
        return await withCheckedContinuation { turns[id] = $0 }
    }

    /// Records the txt2img outcome (dropped when the job was canceled) and hands the web UI to the next job.
    func finish(_ id: String, _ outcome: Result<Finished, JobError>) {
        switch entries[id]?.phase {
        case .canceled?: entries[id]?.phase = .canceled(inFlight: false, sent: true)
        case .sent?: entries[id]?.phase = .finished(outcome)
        case .waiting?, .finished?, nil: break
        }
        entries[id]?.preview = nil
        retire(id)
        release(id)
    }

    func cancel(_ id: String) -> CancelOutcome {
        switch entries[id]?.phase {
        case .waiting?:
            waiting.removeAll { $0 == id }
            entries[id]?.phase = .canceled(inFlight: false, sent: false)
            turns.removeValue(forKey: id)?.resume(returning: false)
            retire(id)
            return .dropped
        case .sent(let begun)?:
            entries[id]?.phase = .canceled(inFlight: true, sent: true)
            entries[id]?.preview = nil
            return .sent(begun: begun)
        case .canceled?, .finished?, nil:
            return .none
        }
    }

    func snapshot(_ id: String) -> Snapshot {
        switch entries[id]?.phase {
        case nil: .unknown
        case .waiting?: .waiting(position: (waiting.firstIndex(of: id) ?? 0) + 1)
        case .sent?: .sent
        case .canceled(_, let sent)?: .canceled(sent: sent)
        case .finished(let result)?: .finished(result)
        }
    }

    /// Folds one `/progress` reply into the job. `busy` is nil when the server has no progress route.
    /// Idle after it was seen running means the web UI is encoding the images: still running.
    func observe(_ id: String, busy: Bool?, progress: Double?, preview: ImageData?) -> RemoteStatus {
        guard case .sent(let begun)? = entries[id]?.phase else { return .running(progress: nil) }
        guard let busy else { return .running(progress: nil) }
        if busy {
            entries[id]?.phase = .sent(begun: true)
            entries[id]?.progress = progress
            if let preview { entries[id]?.preview = preview }
            return .running(progress: progress)
        }
        return begun ? .running(progress: entries[id]?.progress ?? 1) : .queued(position: nil)
    }

    func preview(_ id: String) -> ImageData? {
        guard case .sent? = entries[id]?.phase else { return nil }
        return entries[id]?.preview
    }

    func result(_ id: String) -> Finished? {
        guard case .finished(.success(let f))? = entries[id]?.phase else { return nil }
        return f
    }

    /// True while the job's txt2img has not returned.
    func isInFlight(_ id: String) -> Bool {
        switch entries[id]?.phase {
        case .sent?, .canceled(inFlight: true, _)?: true
        case .waiting?, .canceled?, .finished?, nil: false
        }
    }

    // MARK: - Private

    /// Frees the web UI if `id` held it and starts the next waiting job.
    private func release(_ id: String) {
        guard active == id else { return }
        active = nil
        guard !waiting.isEmpty else { return }
        let next = waiting.removeFirst()
        active = next
        entries[next]?.phase = .sent(begun: false)
        turns.removeValue(forKey: next)?.resume(returning: true)
    }

    /// Remembers a finished or canceled job, forgetting the oldest beyond `keep`.
    private func retire(_ id: String) {
        done.append(id)
        while done.count > Self.keep {
            let old = done.removeFirst()
            if !isInFlight(old) { entries[old] = nil }
        }
    }
}

/// HTTP status + body → `JobError` for the web UI, in one place.
/// Bodies: `handle_exception`'s `{error, detail, body, errors}` (every exception, status from the exception
/// or 500), FastAPI's `{detail: "Not Found"}` for a missing route, `{detail: [{loc, msg, type}]}` for 422.
/// - SeeAlso: https://github.com/AUTOMATIC1111/stable-diffusion-webui/blob/master/modules/api/api.py (`api_middleware`)
enum A1111Errors {
    struct Body {
        var error: String?
        var detail: String?
        var errors: String?
        var validation: [String] = []
    }

    static func parse(_ bytes: [UInt8]) -> Body? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return nil }
        var b = Body(error: o["error"] as? String, detail: o["detail"] as? String, errors: o["errors"] as? String)
        for item in o["detail"] as? [[String: Any]] ?? [] {
            let loc = (item["loc"] as? [Any] ?? []).map { "\($0)" }.joined(separator: ".")
            let msg = item["msg"] as? String ?? "invalid"
            b.validation.append(loc.isEmpty ? msg : "\(loc): \(msg)")
        }
        return b
    }

    /// A 404 that is not the API's own (`{"detail":"Not Found"}` or not JSON): the route does not exist,
    /// which for `/sdapi/v1/*` means the web UI was started without `--api`.
    static func isMissingRoute(_ r: HTTPResponse) -> Bool {
        guard r.status == 404 else { return false }
        guard let b = parse(r.body) else { return true }
        return b.error == nil || b.detail?.lowercased() == "not found"
    }

    /// - Parameter route: e.g. "POST /sdapi/v1/txt2img", named in messages.
    /// - Parameter basicAuth: the configured `user:password`; only the user is ever named, and the
    ///   password is removed from any server text.
    static func map(_ r: HTTPResponse, route: String, basicAuth: String?) -> JobError {
        let body = parse(r.body)
        let password = basicAuth.flatMap { s in s.firstIndex(of: ":").map { String(s[s.index(after: $0)...]) } } ?? ""
        func clean(_ s: String) -> String { password.count >= 3 ? s.replacingOccurrences(of: password, with: "[redacted]") : s }
        let raw = String(decoding: r.body.prefix(200), as: UTF8.self)
        let detail = body.map { $0.validation.isEmpty ? ($0.detail ?? $0.errors ?? raw) : $0.validation.joined(separator: "; ") } ?? raw
        switch r.status {
        case 401, 403:
            guard let basicAuth, let colon = basicAuth.firstIndex(of: ":") else {
                return .unauthorized("the web UI wants a login (--api-auth): set api_auth = \"user:password\" for this backend")
            }
            let user = Sanitize.line(String(basicAuth[..<colon]))
            return .unauthorized("the web UI refused user \"\(user)\" (--api-auth): \(clean(detail))")
        case 404 where isMissingRoute(r) && body?.error == nil:
            return .badResponse("the web UI answers without its API: start it with --api (\(route) is 404)")
        case 404 where isMissingRoute(r):
            // The API's own handler answered, so --api is on but this route is missing.
            return .badResponse("\(route) is not in this web UI's API: an old version, or not A1111/Forge?")
        case 400, 404, 422:
            return .invalidPrompt(reason: clean(detail))           // "Sampler not found", validation errors
        case 500...599:
            let text: String
            if let b = body, let error = b.error {
                let what = [b.errors, b.detail].compactMap { $0 }.first { !$0.isEmpty } ?? ""
                text = what.isEmpty ? error : "\(error): \(what)"
            } else {
                text = detail
            }
            return .server(status: r.status, message: clean(text))
        default:
            return ErrorMapping.status(r, message: clean(detail))
        }
    }
}
