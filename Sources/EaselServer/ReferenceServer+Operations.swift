import EaselCore
import FlyingFox
import FlyingSocks
import Foundation

/// Running the server as a service: the listening socket (IPv4 or IPv6), whom a request counts against
/// (`TrustedProxies`), `GET /healthz`, structured logs and graceful shutdown.
extension ReferenceServer {
    /// An HTTP server bound to `host` (IPv6 when it has a colon) and `port`.
    /// - Throws: `StartError` naming the host when it is not an address ("::1x" or a name: only numeric
    ///   addresses are bound); FlyingFox's errors otherwise.
    static func listener(host: String, port: UInt16) throws -> HTTPServer {
        do {
            if host.contains(":") { return HTTPServer(address: try .inet6(ip6: host, port: port), timeout: 30, logger: .disabled) }
            return HTTPServer(address: try .inet(ip4: host, port: port), timeout: 30, logger: .disabled)
        } catch SocketError.failed(let type, _, _) {
            // inet_pton said no: errno is 0 there, so FlyingSocks' own message would read "Success".
            throw StartError(host: host, port: port, code: EINVAL, call: type, reason: "not a numeric IPv4 or IPv6 address")
        }
    }

    /// The address the per-IP rate limit counts `req` against: the socket's peer, or the client a trusted
    /// proxy names in `X-Forwarded-For` (`Configuration.trustedProxies`).
    func clientAddress(_ req: HTTPRequest) -> String {
        let peer: String
        switch req.remoteAddress {
        case .ip4(let ip, _), .ip6(let ip, _): peer = ip
        case .unix(let path): return path
        case nil: return "unknown"
        }
        return configuration.trustedProxies.client(peer: peer, forwardedFor: req.headers[HTTPHeader("X-Forwarded-For")])
    }

    /// A submit refused before its body is read, in memory and shared mode alike: `503` while shutting down,
    /// `413` when `Content-Length` is over `maxBodyBytes`; nil when it may go on.
    func refusedBeforeReading(_ req: HTTPRequest) -> HTTPResponse? {
        if draining {
            return Self.json(.serviceUnavailable, ["error": "the server is shutting down; submit to another instance or try again later"])
        }
        if let length = req.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            return Self.json(.payloadTooLarge, ["error": "request body over \(configuration.maxBodyBytes) bytes"])
        }
        return nil
    }

    /// The `429` for a client over the per-IP limit, with `Retry-After` in whole seconds (at least 1).
    /// - Parameter retryAfter: seconds until the window lets the client in again.
    func rateLimited(retryAfter: Double) -> HTTPResponse {
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        var response = Self.json(.tooManyRequests,
                                 ["error": "rate limit exceeded: \(configuration.rateLimit) per IP; retry in \(seconds)s"])
        response.headers[HTTPHeader("Retry-After")] = String(seconds)
        return response
    }

    /// `GET /healthz`: `200 {"status": "ok", "workers": n, "store": "memory", "generator": label}` while every
    /// worker runs and the server takes jobs; `503` with `"status": "shutting_down"` once `shutdown` began, or
    /// `"workers_down"` when a worker loop has ended. Never rate-limited, never faulted.
    /// With a store (`"store": "postgres"`) it also asks the database: `"database": "reachable"`, else `503`
    /// with `"status": "store_down"` and the reason.
    func healthz() async -> HTTPResponse {
        let expected = configuration.store == nil ? max(1, generator.concurrency) : 1
        var database: String?
        if let store = configuration.store {
            do { _ = try await store.status(job: "healthz"); database = "reachable" } catch { database = "unreachable: \(error)" }
        }
        let status = draining ? "shutting_down" : workersAlive < expected ? "workers_down"
            : database?.hasPrefix("unreachable") == true ? "store_down" : "ok"
        var body: [String: Any] = ["status": status, "workers": workersAlive, "store": configuration.store == nil ? "memory" : "postgres",
                                   "generator": generator.label]
        if let database { body["database"] = database }
        return Self.json(status == "ok" ? .ok : .serviceUnavailable, body)
    }

    /// Graceful shutdown (SIGTERM/SIGINT in `easel serve`): new submits get 503 at once; jobs that had not
    /// started fail with category `shutdown` (memory mode: nothing else would run them); running jobs get up
    /// to `grace` to finish, then fail with category `shutdown` (their upstream jobs cancelled); then `stop`.
    /// Status, events and images stay served until `stop`.
    public func shutdown(grace: Duration) async {
        draining = true
        if configuration.store != nil { return await shutdownShared(grace: grace) }
        log("shutdown", ["running": String(running.count), "queued": String(pending.count), "grace_s": String(grace.components.seconds)])
        let waiting = pending
        pending.removeAll()
        for id in waiting {
            fail(id, ServerGenerationError(.shutdown, "the server shut down before the job started; submit it again"))
        }
        if !running.isEmpty {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.untilIdle() }
                group.addTask { try? await Task.sleep(for: grace) }
                await group.next()
                group.cancelAll()
            }
            endIdleWaits()
        }
        for id in running.keys {
            fail(id, ServerGenerationError(.shutdown, "the server shut down before the job finished (\(grace.components.seconds) s grace); submit it again"))
            cancelRunning(id)
        }
        await stop()
        log("stopped")
    }

    /// Fails a job that is still processing with `error` (its final event published).
    func fail(_ id: String, _ error: ServerGenerationError) {
        guard var job = jobs[id], job.state == .processing else { return }
        job.state = .failed
        job.error = error.message
        job.category = error.category.rawValue
        jobs[id] = job
        publish(id, "failed", ["status": "failed", "category": error.category.rawValue, "message": error.message])
        log("failed", job: id, level: "warn", ["category": error.category.rawValue, "msg": error.message])
    }

    /// Returns when no job is generating, or when the task is cancelled.
    private func untilIdle() async {
        guard !running.isEmpty else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { idleWaits.append($0) }
        } onCancel: {
            Task { await self.endIdleWaits() }
        }
    }

    /// Wakes `untilIdle` waiters (the last job finished, or the grace ran out).
    func endIdleWaits() {
        for wait in idleWaits { wait.resume() }
        idleWaits.removeAll()
    }

    /// One log line on stderr, `key=value` pairs: `ts=2026-12-03T12:00:00.123Z level=info event=submitted
    /// job=k3x-1 ip=127.0.0.1`. Values are sanitized (`Sanitize.line`) and quoted when they hold a space,
    /// `=` or `"`. Off with `Configuration.logRequests` false (`--quiet`).
    func log(_ event: String, job: String? = nil, level: String = "info", _ fields: KeyValuePairs<String, String> = [:]) {
        guard configuration.logRequests else { return }
        var pairs: [(String, String)] = [("ts", Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
                                         ("level", level), ("event", event)]
        if let job { pairs.append(("job", job)) }
        pairs += fields.map { ($0.key, $0.value) }
        let line = pairs.map { "\($0.0)=\(Self.logValue($0.1))" }.joined(separator: " ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func logValue(_ value: String) -> String {
        let clean = Sanitize.line(value)
        guard clean.isEmpty || clean.contains(where: { $0 == " " || $0 == "=" || $0 == "\"" }) else { return clean }
        return "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
