import EaselCore
import EaselHTTP
import Foundation

/// The API key of one hosted backend (OpenAI Images, Replicate, fal), resolved lazily the first time a
/// request needs it and then kept for the adapter's lifetime. Concurrent callers share one resolution, so
/// `api_key_cmd` (e.g. `pass show replicate`) runs once, off the cooperative pool.
///
/// The key never leaves this type except as an `Authorization` header value; every text that came from a
/// server goes through `redact(_:)` before it can reach a `JobError`, a status or a health line.
actor CachedKey {
    /// Where the key comes from; nil when the `[backends.NAME]` table names none.
    let source: KeySource?
    /// The `[backends.NAME]` table, for "no key" messages.
    let backendName: String
    private var key: APIKey?
    private var pending: Task<Result<APIKey, JobError>, Never>?

    /// The environment an `api_key_env` is read from; nil = the process's.
    let environment: [String: String]?

    init(source: KeySource?, backendName: String, environment: [String: String]? = nil) {
        self.source = source
        self.backendName = backendName
        self.environment = environment
    }

    /// The key, resolving it on first use.
    /// - Throws: `JobError.unauthorized` naming the source when it is missing, unset, or its command
    ///   fails or prints nothing; a failed resolution is tried again on the next call.
    func resolve() async throws(JobError) -> APIKey {
        if let key { return key }
        guard let source else {
            throw .unauthorized("no API key: set api_key_env, api_key_cmd or api_key in [backends.\(backendName)]")
        }
        let task: Task<Result<APIKey, JobError>, Never>
        if let pending { task = pending } else {
            let environment = self.environment ?? ProcessInfo.processInfo.environment
            task = Task {
                await withCheckedContinuation { (done: CheckedContinuation<Result<APIKey, JobError>, Never>) in
                    DispatchQueue.global().async {
                        do throws(JobError) { done.resume(returning: .success(try source.resolve(environment: environment))) }
                        catch { done.resume(returning: .failure(error)) }
                    }
                }
            }
            pending = task
        }
        let result = await task.value
        pending = nil
        switch result {
        case .success(let k):
            key = k
            return k
        case .failure(let e): throw e
        }
    }

    /// The key if it was already resolved; for redacting text on paths that must not resolve it.
    var resolved: APIKey? { key }

    /// `text` with the key (when known) replaced by `[redacted]`.
    func redact(_ text: String) -> String { key?.redact(text) ?? text }

    /// `error` with the key removed from every text it carries, and an `unauthorized` error extended
    /// with where the key came from: "… (key from environment variable REPLICATE_API_TOKEN)".
    func clean(_ error: JobError) -> JobError {
        let r = redact
        switch error {
        case .invalidPrompt(let reason): return .invalidPrompt(reason: r(reason))
        case .graph(let why): return .graph(r(why))
        case .rateLimited, .notFound, .timedOut, .canceled: return error
        case .unauthorized(let why):
            let text = r(why)
            if text.hasPrefix("no API key") { return .unauthorized(text) }
            guard let source else {
                return .unauthorized("\(text) (no key configured: set api_key_env, api_key_cmd or api_key in [backends.\(backendName)])")
            }
            return .unauthorized("\(text) (key from \(source))")
        case .network(let why): return .network(r(why))
        case .server(let status, let message): return .server(status: status, message: r(message))
        case .inferenceFailed(let why): return .inferenceFailed(r(why))
        case .badResponse(let why): return .badResponse(r(why))
        case .storage(let why): return .storage(r(why))
        case .journal(let why): return .journal(r(why))
        }
    }

    /// `status` with the key removed from a failure message.
    func clean(_ status: RemoteStatus) -> RemoteStatus {
        if case .failed(let why) = status { return .failed(redact(why)) }
        return status
    }
}

/// Helpers the hosted adapters share.
enum Hosted {
    /// True when `url` is on the same scheme, host and port as `base`, so the key may be sent there.
    /// Services return absolute URLs to poll (Replicate `urls.get`, fal `status_url`); a URL on another
    /// origin is not trusted with the key.
    static func sameOrigin(_ url: String, as base: String) -> Bool {
        guard let a = URLComponents(string: url), let b = URLComponents(string: base) else { return false }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && (a.port ?? defaultPort(a.scheme)) == (b.port ?? defaultPort(b.scheme))
    }

    private static func defaultPort(_ scheme: String?) -> Int { scheme?.lowercased() == "http" ? 80 : 443 }

    /// Percent-encodes one path segment (a job id from the journal may hold anything).
    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "#"])) ?? s
    }

    /// Progress 0...1 from service logs: the last `n/total` step counter or ` 45%|` bar in `text`.
    /// tqdm bars (Replicate: ` 45%|████▌     | 9/20 [..]`) and "step 3/28" lines (fal) both parse.
    static func progress(fromLogs lines: [String]) -> Double? {
        for line in lines.reversed() {
            if let m = line.firstMatch(of: /(\d+)%\s*\|/), let pct = Double(m.1), pct <= 100 { return pct / 100 }
            if let m = line.firstMatch(of: /(\d+)\s*\/\s*(\d+)/), let n = Double(m.1), let t = Double(m.2), t > 0, n <= t {
                return n / t
            }
        }
        return nil
    }

    /// The first image-looking string anywhere in a JSON value: an `http(s)://` URL or a `data:` URI,
    /// searching lists in order and objects by `url`, `image`, `images`, `output` first.
    static func firstImageURL(in value: Any?) -> String? {
        switch value {
        case let s as String:
            return s.hasPrefix("https://") || s.hasPrefix("http://") || s.hasPrefix("data:") ? s : nil
        case let list as [Any]:
            for item in list { if let u = firstImageURL(in: item) { return u } }
            return nil
        case let object as [String: Any]:
            let preferred = ["url", "image", "images", "output", "uri"]
            for k in preferred { if let u = firstImageURL(in: object[k]) { return u } }
            for k in object.keys.sorted() where !preferred.contains(k) {
                if let u = firstImageURL(in: object[k]) { return u }
            }
            return nil
        default: return nil
        }
    }
}
