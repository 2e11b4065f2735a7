import EaselCore
import EaselHTTP
import Foundation

/// The txt2img requests this adapter has sent, in the order it sent them, and the outcomes (image base64 +
/// reported seed) of the last `keep` that returned. It holds no job back: each is sent when the reducer
/// submits it (one slot for A1111, `maxConcurrentJobs`). A second one is only ever out while one that the
/// reducer already ended (canceled, timed out) still runs; the web UI's `queue_lock` then holds the new one,
/// and `/progress`, which describes only the request that holds the lock, belongs to the oldest in flight.
actor A1111Requests {
    /// What a finished txt2img left: `images[index_of_first_image]` as the server sent it (base64, maybe
    /// with a `data:` prefix) and `info.seed`.
    struct Finished: Sendable {
        let image: String
        let seed: Int?
    }

    enum Snapshot: Sendable {
        case unknown
        /// Its txt2img is out; `ahead`: requests of ours sent before it that have not returned (0: it holds,
        /// or is about to take, the web UI).
        case sent(ahead: Int)
        /// Canceled; its txt2img was interrupted (or will be once it begins).
        case canceled
        case finished(Result<Finished, JobError>)
    }

    enum CancelOutcome: Sendable, Equatable {
        /// Unknown, finished or already canceled: nothing to do.
        case none
        /// Its txt2img is out. `holdsWebUI`: no request of ours is ahead of it; `begun`: `/progress` showed
        /// the web UI running it.
        case sent(holdsWebUI: Bool, begun: Bool)
    }

    private enum Phase {
        case sent(begun: Bool)
        case canceled
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
    /// Requests whose txt2img has not returned, oldest first: the first holds the web UI's `queue_lock`.
    private var inFlight: [String] = []
    private var done: [String] = []
    private var next = 0
    /// Makes ids unique across runs, so a journaled id from an earlier run is `.notFound`, not another job.
    private let session = String(UInt32.random(in: .min ... .max), radix: 16)

    /// A new request, about to be sent. - Returns: its id and how many of ours are ahead of it.
    func add() -> (String, ahead: Int) {
        next += 1
        let id = "a1111-\(session)-\(next)"
        entries[id] = Entry(phase: .sent(begun: false))
        inFlight.append(id)
        return (id, inFlight.count - 1)
    }

    /// Records the txt2img outcome (dropped when the job was canceled).
    func finish(_ id: String, _ outcome: Result<Finished, JobError>) {
        inFlight.removeAll { $0 == id }
        if case .sent? = entries[id]?.phase { entries[id]?.phase = .finished(outcome) }
        entries[id]?.preview = nil
        retire(id)
    }

    func cancel(_ id: String) -> CancelOutcome {
        guard case .sent(let begun)? = entries[id]?.phase else { return .none }
        entries[id]?.phase = .canceled
        entries[id]?.preview = nil
        guard inFlight.contains(id) else { return .none }
        return .sent(holdsWebUI: inFlight.first == id, begun: begun)
    }

    func snapshot(_ id: String) -> Snapshot {
        switch entries[id]?.phase {
        case nil: .unknown
        case .sent?: .sent(ahead: inFlight.firstIndex(of: id) ?? 0)
        case .canceled?: .canceled
        case .finished(let result)?: .finished(result)
        }
    }

    /// Folds one `/progress` reply into the job. `busy` is nil when the server has no progress route.
    /// The reply describes the job only while none of ours is ahead of it (else it is queued behind
    /// them). Idle after it was seen running means the web UI is encoding the images: still running.
    func observe(_ id: String, busy: Bool?, progress: Double?, preview: ImageData?) -> RemoteStatus {
        guard case .sent(let begun)? = entries[id]?.phase else { return .running(progress: nil) }
        if let ahead = inFlight.firstIndex(of: id), ahead > 0 { return .queued(position: ahead) }
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
    func isInFlight(_ id: String) -> Bool { inFlight.contains(id) }

    /// True while the job's txt2img is out and no request of ours is ahead of it.
    func holdsWebUI(_ id: String) -> Bool { inFlight.first == id }

    // MARK: - Private

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

    /// A 404 that is not the API's own handler's (`{"detail":"Not Found"}`, not JSON, or JSON without the
    /// handler's `detail` / `errors`, as another server's `{"error": "no such endpoint"}`): the route does not
    /// exist, which for `/sdapi/v1/*` means the web UI was started without `--api` or is not A1111/Forge.
    static func isMissingRoute(_ r: HTTPResponse) -> Bool {
        guard r.status == 404 else { return false }
        guard let b = parse(r.body) else { return true }
        return b.error == nil || b.detail?.lowercased() == "not found" || (b.detail == nil && b.errors == nil)
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
