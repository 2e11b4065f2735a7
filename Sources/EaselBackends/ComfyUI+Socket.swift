import EaselCore
import Foundation
import Logging
import NIOCore
import Synchronization
import WSClient

/// The one WebSocket a ComfyUI adapter keeps to `GET /ws?clientId=<client_id>`, opened at the first
/// `statusEvents(of:)` and kept (reconnecting with the same id) for the adapter's life. It turns ComfyUI's
/// events for each followed `prompt_id` into `RemoteStatus`es and keeps the latest preview frame per prompt.
/// Framing, masking and the upgrade are swift-websocket's `WebSocketClient`
/// (https://github.com/hummingbird-project/swift-websocket).
/// Protocol: reference/backends.md §1.5; https://docs.comfy.org/development/comfyui-server/comms_messages
final class ComfyUISocket: Sendable {
    /// `ws://host:port[/prefix]/ws?clientId=…` (`wss://` for an https base URL).
    let url: String
    /// `GET /history/{id}` as a status (nil while `{}`): asked once at completion, and for every followed
    /// prompt after each (re)connect, since events sent while no socket was open are lost.
    private let history: @Sendable (RemoteJobID) async throws(JobError) -> RemoteStatus?
    /// Reconnect attempts after a drop before the followed jobs go back to polling.
    static let reconnectAttempts = 3
    /// Largest message accepted: a preview is a JPEG/PNG of at most `--preview-size` (512) pixels a side.
    static let maxMessage = 16 << 20

    enum Connection: Equatable { case idle, connecting, open, refused(String) }
    private struct Follow {
        var continuation: StatusEvents.Continuation
        let token: UInt64
        /// `execution_success` came and `/history` was asked (it may still be `{}` until `executing` null).
        var finishing = false
    }
    private struct State {
        var connection = Connection.idle
        var follows: [String: Follow] = [:]
        /// Latest preview per prompt, and whether `latestPreview` has handed it out yet.
        var previews: [String: (image: ImageData, taken: Bool)] = [:]
        /// When `latestPreview` last handed out a frame, per prompt.
        var handedAt: [String: ContinuousClock.Instant] = [:]
        /// The prompt the server is executing, for events and type-1 previews without a `prompt_id`.
        var current: String?
        /// Each sent prompt's node ids → `class_type`, and the node it is executing (from `executing`).
        var classes: [String: [String: String]] = [:]
        var node: [String: String] = [:]
        var task: Task<Void, Never>?
        var tokens: UInt64 = 0
    }
    private let state = Mutex(State())

    init(url: String, history: @escaping @Sendable (RemoteJobID) async throws(JobError) -> RemoteStatus?) {
        self.url = url
        self.history = history
    }

    /// The socket's address for an adapter's base URL (`http://127.0.0.1:8188` → `ws://127.0.0.1:8188/ws?clientId=…`).
    static func address(base: String, clientID: String) -> String {
        let ws = base.hasPrefix("https://") ? "wss://" + base.dropFirst(8) : "ws://" + base.replacingOccurrences(of: "http://", with: "")
        return ws + "/ws?clientId=" + clientID
    }

    /// Follows `job`: statuses as events arrive, finishing after a final one. nil once the socket was refused
    /// (the caller polls). The stream throws `JobError.network` when the socket is refused or lost for good.
    func follow(_ job: RemoteJobID) -> StatusEvents? {
        let id = job.rawValue
        let (stream, continuation) = StatusEvents.makeStream()
        let (refused, open, token) = state.withLock { s -> (Bool, Bool, UInt64) in
            if case .refused = s.connection { return (true, false, 0) }
            s.follows[id]?.continuation.finish(throwing: JobError.network("followed again"))
            s.tokens += 1
            s.follows[id] = Follow(continuation: continuation, token: s.tokens)
            if s.connection == .idle {
                s.connection = .connecting
                s.task = Task { [self] in await run() }
            }
            return (false, s.connection == .open, s.tokens)
        }
        if refused { return nil }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { s in
                guard s.follows[id]?.token == token else { return }
                s.follows[id] = nil; s.previews[id] = nil; s.handedAt[id] = nil
            }
        }
        if open { Task { await reconcile([id]) } }   // it may have run while nobody followed it
        return stream
    }

    /// Remembers the class of each node of prompt `id`'s graph (`{"3": {"class_type": "KSampler", …}}`), so
    /// step progress names the node running ("KSampler 12/30"). Kept for the 64 newest prompts.
    func sent(_ id: String, graph: [UInt8]) {
        guard let nodes = ComfyUIBackend.object(graph) else { return }
        var classes: [String: String] = [:]
        for (node, value) in nodes { if let c = (value as? [String: Any])?["class_type"] as? String { classes[node] = c } }
        state.withLock { s in
            if s.classes.count >= 64 { s.classes.removeAll(); s.node.removeAll() }
            s.classes[id] = classes
        }
    }

    /// Shortest time between two frames handed out for one prompt: a fast GPU sends a preview per step,
    /// and a few a second are all a terminal preview needs.
    static let previewInterval: Duration = .milliseconds(250)

    /// The newest preview frame for `job` that has not been handed out yet, else nil; nil too within
    /// `previewInterval` of the last one handed out (the frame waits for a later call).
    func latestPreview(of job: RemoteJobID) -> ImageData? {
        let now = ContinuousClock.now
        return state.withLock { s in
            let id = job.rawValue
            guard let p = s.previews[id], !p.taken else { return nil }
            if let last = s.handedAt[id], now - last < Self.previewInterval { return nil }
            s.previews[id]?.taken = true
            s.handedAt[id] = now
            return p.image
        }
    }

    // MARK: - The connection

    private func run() async {
        var failures = 0, everOpen = false
        var logger = Logger(label: "easel.comfyui.ws", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        while !Task.isCancelled {
            var reason = "closed by the server"
            do {
                let config = WebSocketClientConfiguration(maxFrameSize: Self.maxMessage)
                try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { inbound, outbound, _ in
                    // Ask for type-4 previews (with prompt_id); older servers ignore it.
                    try await outbound.write(.text(#"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#))
                    var first = true
                    for try await message in inbound.messages(maxSize: Self.maxMessage) {
                        if first {
                            first = false
                            self.state.withLock { $0.connection = .open }
                            let ids = self.state.withLock { Array($0.follows.keys) }
                            Task { await self.reconcile(ids) }
                        }
                        await self.receive(message)
                    }
                }
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { break }
            let opened = state.withLock { $0.connection == .open }
            if opened { everOpen = true; failures = 0 } else { failures += 1 }
            state.withLock { if $0.connection == .open { $0.connection = .connecting } }
            if !everOpen || failures > Self.reconnectAttempts {
                let why = everOpen ? "ComfyUI's WebSocket was lost (\(reason)); following jobs by polling /history"
                                   : "ComfyUI's WebSocket /ws could not be opened (\(reason)); following jobs by polling /history"
                end(everOpen ? .idle : .refused(why), error: .network(why))
                return
            }
            try? await Task.sleep(for: .milliseconds(100 << min(failures, 4)))
        }
        end(.idle, error: .canceled)
    }

    /// Fails every follower (they poll from now on) and sets the connection state.
    private func end(_ connection: Connection, error: JobError) {
        let all = state.withLock { s -> [Follow] in
            s.connection = connection
            s.task = nil
            defer { s.follows.removeAll(); s.previews.removeAll(); s.handedAt.removeAll() }
            return Array(s.follows.values)
        }
        all.forEach { $0.continuation.finish(throwing: error) }
    }

    /// Asks `/history` once for each prompt (after a (re)connect) and ends those that finished meanwhile.
    private func reconcile(_ ids: [String]) async {
        for id in ids where state.withLock({ $0.follows[id] != nil }) {
            if let status = try? await history(RemoteJobID(id)) { deliver(id, status, final: true) }
        }
    }

    // MARK: - Events

    private func receive(_ message: WebSocketMessage) async {
        switch message {
        case .binary(let buffer):
            let bytes = Array(buffer.readableBytesView)
            guard let frame = ComfyUIBackend.previewFrame(bytes) else { return }
            state.withLock { s in
                guard let id = frame.promptID ?? s.current, s.follows[id] != nil else { return }
                s.previews[id] = (ImageData(frame.image), false)
            }
        case .text(let text):
            guard let event = ComfyUIBackend.event(Array(text.utf8)) else { return }
            await handle(event)
        }
    }

    private func handle(_ event: ComfyUIBackend.Event) async {
        let id = event.promptID ?? state.withLock { $0.current }
        switch event.kind {
        case .started:
            state.withLock { $0.current = event.promptID }
            if let id { deliver(id, .running(progress: 0), final: false) }
        case .executing(node: .some(let node)):
            state.withLock { s in
                if let p = event.promptID { s.current = p }
                if let id = event.promptID ?? s.current { s.node[id] = node }
            }
        case .progress(let value, let max, let node):
            guard let id, max > 0 else { return }
            let name = state.withLock { s in (node ?? s.node[id]).flatMap { s.classes[id]?[$0] } }
            let step = StepProgress(step: Swift.max(0, Swift.min(value, max)), total: max, node: name)
            deliver(id, .running(progress: step.fraction, step: step), final: false)
        case .failed(let message):
            if let id { deliver(id, .failed(message), final: true) }
        case .succeeded, .executing(node: nil):
            guard let id else { return }
            if case .executing = event.kind { state.withLock { if $0.current == id { $0.current = nil } } }
            let ask = state.withLock { s -> Bool in
                guard let f = s.follows[id] else { return false }          // not ours, or already delivered
                if f.finishing, event.kind == .succeeded { return false }
                s.follows[id]?.finishing = true
                return true
            }
            guard ask else { return }
            // `execution_success` comes just before the history entry is written; `executing` null after it.
            do {
                if let status = try await history(RemoteJobID(id)) { deliver(id, status, final: true) }
                else if event.kind == .executing(node: nil) { fail(id, .network("ComfyUI said the prompt finished, but /history has no entry")) }
            } catch { fail(id, error) }
        }
    }

    private func deliver(_ id: String, _ status: RemoteStatus, final: Bool) {
        let c = state.withLock { s -> StatusEvents.Continuation? in
            guard let f = s.follows[id] else { return nil }
            if final { s.follows[id] = nil; s.previews[id] = nil; s.handedAt[id] = nil; s.classes[id] = nil; s.node[id] = nil }
            return f.continuation
        }
        c?.yield(status)
        if final { c?.finish() }
    }

    private func fail(_ id: String, _ error: JobError) {
        state.withLock { s in
            defer { s.follows[id] = nil; s.previews[id] = nil; s.handedAt[id] = nil }
            return s.follows[id]?.continuation
        }?.finish(throwing: error)
    }
}
