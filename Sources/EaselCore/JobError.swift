/// Why a job failed, by category. Each category has its own message and recovery.
public enum JobError: Error, Equatable, Hashable, Sendable {
    /// 400/422, validation or content policy; the reason is the server's text, sanitized.
    case invalidPrompt(reason: String)
    /// The service refused the workflow graph it was sent (ComfyUI's 400 with `node_errors`, a missing node
    /// type, no outputs): the node, its class, the server's message and details, and what the server has
    /// instead when a value is not in its list. The server's text, sanitized.
    case graph(String)
    /// 429; `retryAfter` is the server's `Retry-After`, when it sent one.
    case rateLimited(retryAfter: Duration?)
    /// 401/403, or a missing key.
    case unauthorized(String)
    /// The server does not know the job id (e.g. after a restart).
    case notFound
    /// The poll deadline passed; the remote id is kept so polling can resume.
    case timedOut(after: Duration)
    /// DNS, connection refused, reset, TLS, transfer timeouts.
    case network(String)
    /// 5xx.
    case server(status: Int, message: String)
    /// The service finished the job and reported failure.
    case inferenceFailed(String)
    /// Malformed JSON, not an image, too large.
    case badResponse(String)
    /// Disk full, permission, read-only file system.
    case storage(String)
    /// The user canceled it.
    case canceled
    /// The journal holds something this Easel cannot act on (a job state written by another version):
    /// the job is shown as failed and never sent again by itself.
    case journal(String)

    /// Safe to send the same request again unchanged.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .timedOut, .network, .server: true
        case .invalidPrompt, .graph, .unauthorized, .notFound, .inferenceFailed, .badResponse, .storage, .canceled, .journal: false
        }
    }

    /// A stable, payload-free label for logs, the journal and `--json` output: `"rate_limited"`.
    public var kind: String {
        switch self {
        case .invalidPrompt: "invalid_prompt"
        case .graph: "graph"
        case .rateLimited: "rate_limited"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .timedOut: "timed_out"
        case .network: "network"
        case .server: "server"
        case .inferenceFailed: "inference_failed"
        case .badResponse: "bad_response"
        case .storage: "storage"
        case .canceled: "canceled"
        case .journal: "journal"
        }
    }

    /// What the user can do about it, one line.
    public var recovery: String {
        switch self {
        case .invalidPrompt: "Edit the prompt or its parameters and press Enter again."
        case .graph: "Choose what the server has (model, sampler) or fix the workflow file, then press Enter again."
        // Only a job that ends shows this: a 429 otherwise makes it wait and be sent again by itself.
        case .rateLimited: "Refused (HTTP 429) until its deadline ran out: t sends it again; a longer --deadline waits longer."
        case .unauthorized: "Check the API key for this backend."
        case .notFound: "The server forgot the job (restarted?): t sends it again."
        case .timedOut: "It may still finish: t resumes polling the same job."
        case .network: "Check the server address and the connection; t retries."
        case .server: "The service had an error; t retries."
        case .inferenceFailed: "The service could not generate it; t sends it again."
        case .badResponse: "The service answered something unexpected; t retries."
        case .storage: "Image kept: fix the folder, then t saves it."
        case .canceled: "t sends it again."
        case .journal: "Not sent again by itself (it may have run already): t sends it again."
        }
    }

    /// One line for the user, sanitized: what happened and what to do.
    public var message: String {
        switch self {
        case .invalidPrompt(let reason): "invalid prompt: \(Sanitize.line(reason))"
        case .graph(let why): "graph error: \(Sanitize.line(why))"
        case .rateLimited(let after):
            if let after { "rate limited: retry in \(Int(after.components.seconds.clamped(to: 0...86_400)))s" }
            else { "rate limited: retry later" }
        case .unauthorized(let why): "unauthorized: \(Sanitize.line(why))"
        case .notFound: "not found: the server no longer knows this job"
        case .timedOut(let after): "timed out after \(Int(after.components.seconds))s: the job may still finish on the server"
        case .network(let why): "network error: \(Sanitize.line(why))"
        case .server(let status, let msg):
            msg.isEmpty ? "server error \(status)" : "server error \(status): \(Sanitize.line(msg))"
        case .inferenceFailed(let why): "generation failed: \(Sanitize.line(why))"
        case .badResponse(let why): "bad response: \(Sanitize.line(why))"
        case .storage(let why): "could not save: \(Sanitize.line(why))"
        case .canceled: "canceled"
        case .journal(let why): "journal: \(Sanitize.line(why))"
        }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

extension JobError {
    /// Rebuilds the error from its `kind` and the `message` it showed, so that a job reloaded from the
    /// journal shows what it showed before, byte for byte: `message` is parsed back into the case's
    /// payload (`"server error 501: boom"` → `.server(status: 501, message: "boom")`, `"timed out after
    /// 15s: …"` → `.timedOut(after: .seconds(15))`). A message that does not have its category's shape
    /// (hand-edited, or from another version) is kept whole as the payload of its category.
    /// An unknown `kind` becomes `.journal` naming it: never a category that would resend the job.
    public init(kind: String, message: String) {
        func payload(_ prefix: String) -> String {
            message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
        }
        func seconds(after prefix: String, before suffix: String) -> Int? {
            guard message.hasPrefix(prefix) else { return nil }
            let rest = message.dropFirst(prefix.count)
            return Int(rest.prefix { $0.isNumber }).flatMap { n in rest.dropFirst(String(n).count).hasPrefix(suffix) ? n : nil }
        }
        switch kind {
        case "invalid_prompt": self = .invalidPrompt(reason: payload("invalid prompt: "))
        case "graph": self = .graph(payload("graph error: "))
        case "rate_limited":
            self = .rateLimited(retryAfter: seconds(after: "rate limited: retry in ", before: "s").map { .seconds($0) })
        case "unauthorized": self = .unauthorized(payload("unauthorized: "))
        case "not_found": self = .notFound
        case "timed_out":
            self = .timedOut(after: .seconds(seconds(after: "timed out after ", before: "s") ?? 0))
        case "network": self = .network(payload("network error: "))
        case "server":
            let rest = payload("server error ")
            let digits = rest.prefix { $0.isNumber }
            if let status = Int(digits), message.hasPrefix("server error ") {
                let tail = rest.dropFirst(digits.count)
                self = .server(status: status, message: tail.hasPrefix(": ") ? String(tail.dropFirst(2)) : String(tail))
            } else {
                self = .server(status: 500, message: message)
            }
        case "inference_failed": self = .inferenceFailed(payload("generation failed: "))
        case "bad_response": self = .badResponse(payload("bad response: "))
        case "storage": self = .storage(payload("could not save: "))
        case "canceled": self = .canceled
        case "journal": self = .journal(payload("journal: "))
        default: self = .journal("failed with an error of kind \"\(kind)\" that this Easel does not know: \(message)")
        }
    }
}

extension JobError {
    /// `recovery`, with the key that opens the model picker (`pick_model`) named from `keymap` for a graph
    /// error; the plain `recovery` where no key reaches the picker.
    public func recovery(keymap: Keymap) -> String {
        guard case .graph = self, let key = keymap.keyName(for: .pickModel, in: .global) else { return recovery }
        return "Pick a model the server has with \(key) (a sampler in the config), or fix the workflow file; then press Enter again."
    }

    /// "; pick one with F5" after a graph error that says the server lacks the checkpoint it was sent
    /// ("the server has no checkpoint 'x'; it has: …"), the key taken from `keymap`; "" otherwise.
    public func pickAdvice(keymap: Keymap) -> String {
        guard case .graph(let why) = self, why.contains("the server has no checkpoint"),
              let key = keymap.keyName(for: .pickModel, in: .global) else { return "" }
        return "; pick one with \(key)"
    }
}
