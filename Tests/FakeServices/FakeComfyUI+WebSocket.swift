import EaselCore
import FlyingFox
import Foundation

/// ComfyUI's WebSocket `/ws?clientId=` (reference/backends.md §1.5; server.py `websocket_handler`, main.py
/// `prompt_worker`, execution.py). On connect: `status` with `sid`; a socket with the same id replaces the older
/// one, and if that client's prompt is running its current `executing` is sent again. A prompt queued while its
/// client has a socket (or pending when it connects) runs by itself, in upstream order:
/// `execution_start`, `execution_cached`, then per node `executing`; the sampler sends `progress` + `progress_state`
/// per step and a binary preview (type 4 with `prompt_id` when the client asked `supports_preview_metadata`,
/// else type 1); output nodes send `executed`; then `execution_success`, the history entry is written, `status`
/// goes to every socket, and `executing` with `node: null` ends it. `[[fail]]` ends with `execution_error`,
/// `[[running]]` stops after step 1 until interrupted, `[[queued]]` never starts. Events go to the prompt's
/// client only; `status` to all. Knobs: refuse the upgrade (an old server or a proxy), drop the socket at a step
/// (events meanwhile are lost, as upstream), refuse reconnects, ignore feature flags (older builds).
extension FakeComfyUI {
    /// Open sockets, by client id, in connect order (a reconnect appears again).
    public var socketConnects: [String] { wsConnects }
    /// Pixels per side of the preview frames.
    static let previewSide = 48

    public func setRefuseWebSocket(_ on: Bool) { wsRefuse = on }
    /// Returns once `/ws` has been opened `count` times in all.
    public func connected(times count: Int) async {
        if wsConnects.count >= count { return }
        await withCheckedContinuation { wsConnectWaiters.append((count, $0)) }
    }
    /// Closes the prompt's client socket right after `progress` step `step` is sent (0 = never).
    public func setDropSocket(atStep step: Int) { wsDropAtStep = step }
    /// Refuses `/ws` after the first drop (the client must fall back to polling).
    public func setRefuseReconnect(_ on: Bool) { wsRefuseReconnect = on }
    /// Older builds: no `feature_flags` answer and only type-1 previews.
    public func setIgnoreFeatureFlags(_ on: Bool) { wsIgnoreFlags = on }
    /// Time the fake sampler takes per step (default 5 ms).
    public func setStepTime(_ t: Duration) { wsStepTime = t }
    /// A GPU of its own, as the real server has: prompts run one at a time, in queue order, on the fake's clock
    /// (`steps × setStepTime` each), whether or not their client has a socket open (a polling client then finds
    /// each one finished at its time). Each run is kept in `gpuRuns`, for the server's busy time.
    public func setOwnClock(_ on: Bool) { ownClock = on }

    func upgrade(_ req: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        if wsRefuse || (wsRefuseReconnect && wsDropped) {
            return HTTPResponse(statusCode: .notFound, headers: [.contentType: "text/plain"], body: Data("404: Not Found".utf8))
        }
        let id = req.query["clientId"].flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let handler = SocketHandler(fake: self, clientID: id)
        return (try? await WebSocketHTTPHandler(handler: MessageFrameWSHandler(handler: handler)).handleRequest(req))
            ?? HTTPResponse(statusCode: .badRequest)
    }

    private struct SocketHandler: WSMessageHandler {
        let fake: FakeComfyUI, clientID: String
        func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
            let (out, continuation) = AsyncStream.makeStream(of: WSMessage.self)
            let token = await fake.attach(clientID, continuation)
            Task { [fake, clientID] in
                for await message in client {
                    if case .text(let text) = message { await fake.received(text, from: clientID, token: token) }
                }
                await fake.detach(clientID, token: token)
            }
            return out
        }
    }

    func attach(_ client: String, _ continuation: AsyncStream<WSMessage>.Continuation) -> Int {
        wsTokens += 1
        wsSockets[client]?.continuation.finish()
        wsSockets[client] = (continuation, wsTokens, false)
        wsConnects.append(client)
        let ready = wsConnectWaiters.filter { $0.0 <= wsConnects.count }
        wsConnectWaiters.removeAll { $0.0 <= wsConnects.count }
        ready.forEach { $0.1.resume() }
        send(client, "status", ["status": ["exec_info": ["queue_remaining": remaining]], "sid": client])
        for job in jobs.values where job.clientID == client {
            if job.live, job.phase == .running, let node = job.node {
                send(client, "executing", ["node": node, "display_node": node, "prompt_id": job.id])
            } else if !job.live, job.phase == .pending {
                start(job.id)
            }
        }
        return wsTokens
    }

    func detach(_ client: String, token: Int) {
        if wsSockets[client]?.token == token { wsSockets[client] = nil }
    }

    func received(_ text: String, from client: String, token: Int) {
        guard !wsIgnoreFlags, let o = Fake.object(Array(text.utf8)), o["type"] as? String == "feature_flags",
              let data = o["data"] as? [String: Any], wsSockets[client]?.token == token else { return }
        wsSockets[client]?.metadata = data["supports_preview_metadata"] as? Bool ?? false
        send(client, "feature_flags", ["supports_preview_metadata": true, "max_upload_size": 104_857_600])
    }

    /// A prompt was queued: `status` to every socket, and the prompt runs if its client is connected.
    func queued(_ id: String) {
        broadcastStatus()
        if let job = jobs[id], ownClock || wsSockets[job.clientID] != nil { start(id) }
    }

    /// `/interrupt` stopped `job`: `execution_interrupted` to its client (to all sockets without one).
    func interrupted(_ job: Job) {
        let data: [String: Any] = ["prompt_id": job.id, "node_id": job.node ?? "3", "node_type": "KSampler", "executed": [String]()]
        if job.clientID.isEmpty { for client in wsSockets.keys { send(client, "execution_interrupted", data) } }
        else { send(job.clientID, "execution_interrupted", data) }
    }

    private var remaining: Int { jobs.values.filter { $0.phase == .pending || $0.phase == .running }.count }

    private func broadcastStatus() {
        for client in wsSockets.keys { send(client, "status", ["status": ["exec_info": ["queue_remaining": remaining]]]) }
    }

    private func start(_ id: String) {
        guard let job = jobs[id], job.scenario != .queued else { return }
        jobs[id]?.live = true
        Task { await execute(id) }
    }

    private func execute(_ id: String) async {
        guard ownClock else { return await executeNow(id) }
        gpuQueue.append(id)
        while gpuQueue.first != id { guard await Fake.pause(.milliseconds(1)) else { gpuQueue.removeAll { $0 == id }; return } }   // the one before it still runs
        let start = Date().timeIntervalSince1970
        await executeNow(id)
        if jobs[id]?.phase == .finished { gpuRuns.append(start...Date().timeIntervalSince1970) }
        gpuQueue.removeFirst()
    }

    private func executeNow(_ id: String) async {
        guard let job = jobs[id], job.phase == .pending else { return }
        jobs[id]?.phase = .running
        let client = job.clientID
        send(client, "execution_start", ["prompt_id": id, "timestamp": 1_735_689_600_123])
        send(client, "execution_cached", ["nodes": [String](), "prompt_id": id, "timestamp": 1_735_689_600_125])
        let order = Self.executionOrder(job.graph)
        let sampler = order.first { ((job.graph[$0] as? [String: Any])?["class_type"] as? String ?? "").hasPrefix("KSampler") } ?? order.first
        let (outputs, _) = run(job)
        for node in order {
            guard jobs[id]?.phase == .running else { return }           // interrupted
            jobs[id]?.node = node
            send(client, "executing", ["node": node, "display_node": node, "prompt_id": id])
            if node == sampler {
                let steps = max(1, job.request.steps)
                for step in 1...steps {
                    guard await Fake.pause(wsStepTime) else { return }
                    guard jobs[id]?.phase == .running else { return }
                    if job.scenario == .fail { return failed(job, node: node) }
                    jobs[id]?.stepsSent = step
                    send(client, "progress", ["value": step, "max": steps, "prompt_id": id, "node": node])
                    send(client, "progress_state", ["prompt_id": id, "nodes": [node: ["value": step, "max": steps, "state": "running", "node_id": node,
                                                                                      "prompt_id": id, "display_node_id": node, "parent_node_id": NSNull(), "real_node_id": node]]])
                    sendPreview(client, prompt: id, node: node, step: step)
                    if step == wsDropAtStep, let socket = wsSockets[client] {
                        wsDropped = true
                        socket.continuation.finish()
                        wsSockets[client] = nil
                    }
                    if job.scenario == .running { while jobs[id]?.phase == .running { guard await Fake.pause(wsStepTime) else { return } }; return }
                }
            }
            if let output = outputs[node] {
                send(client, "executed", ["node": node, "display_node": node, "output": output, "prompt_id": id])
            }
        }
        send(client, "execution_success", ["prompt_id": id, "timestamp": 1_735_689_600_400])
        finish(id, status: ["status_str": "success", "completed": true, "messages": [
            ["execution_start", ["prompt_id": id, "timestamp": 1_735_689_600_123]],
            ["execution_cached", ["nodes": [String](), "prompt_id": id, "timestamp": 1_735_689_600_125]],
            ["execution_success", ["prompt_id": id, "timestamp": 1_735_689_600_400]],
        ]], outputs: outputs)
        broadcastStatus()
        send(client, "executing", ["node": NSNull(), "prompt_id": id])
    }

    private func failed(_ job: Job, node: String) {
        let error: [String: Any] = ["prompt_id": job.id, "node_id": node, "node_type": "KSampler", "executed": [String](),
                                    "exception_message": "the sampler produced NaNs\n", "exception_type": "RuntimeError",
                                    "traceback": ["Traceback (most recent call last):\n"], "current_inputs": [:], "current_outputs": [:]]
        send(job.clientID, "execution_error", error)
        finish(job.id, status: ["status_str": "error", "completed": false, "messages": [["execution_start", ["prompt_id": job.id]], ["execution_error", error]]],
               outputs: [:])
        broadcastStatus()
        send(job.clientID, "executing", ["node": NSNull(), "prompt_id": job.id])
    }

    /// A binary preview: type 4 `[4][len][{"image_type", "node_id", "prompt_id", …}][PNG]` for clients that asked
    /// for metadata, else type 1 `[1][2 = PNG][PNG]`.
    private func sendPreview(_ client: String, prompt: String, node: String, step: Int) {
        guard let socket = wsSockets[client] else { return }
        let png = Fake.png(width: Self.previewSide, height: Self.previewSide, seed: UInt32(step))
        func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        var frame: [UInt8]
        if socket.metadata {
            let meta = Self.jsonData(["image_type": "image/png", "node_id": node, "prompt_id": prompt, "display_node_id": node,
                                       "parent_node_id": NSNull(), "real_node_id": node])
            frame = u32(4) + u32(meta.count) + meta
        } else {
            frame = u32(1) + u32(2)
        }
        frame += png
        wsPreviews += 1
        socket.continuation.yield(.data(Data(frame)))
    }

    /// Sends `{"type": event, "data": data}` to `client`'s socket, if it has one (else it is lost, as upstream).
    private func send(_ client: String, _ event: String, _ data: [String: Any]) {
        guard let socket = wsSockets[client] else { return }
        wsEvents.append((client, event))
        socket.continuation.yield(.text(String(decoding: Self.jsonData(["type": event, "data": data]), as: UTF8.self)))
    }

    /// Nodes in the order ComfyUI runs them: each after the nodes its linked inputs (`["id", index]`) come from.
    static func executionOrder(_ graph: [String: Any]) -> [String] {
        var done: [String] = [], seen: Set<String> = []
        func visit(_ id: String) {
            guard !seen.contains(id), let node = graph[id] as? [String: Any] else { return }
            seen.insert(id)
            for case let link as [Any] in ((node["inputs"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }).map(\.value) {
                if let source = link.first as? String { visit(source) }
            }
            done.append(id)
        }
        graph.keys.sorted { ($0.count, $0) < ($1.count, $1) }.forEach(visit)
        return done
    }

    private static func jsonData(_ object: [String: Any]) -> [UInt8] {
        [UInt8]((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// The events sent to `client`'s sockets, in order (for order checks).
    public func events(to client: String) -> [String] { wsEvents.filter { $0.0 == client }.map(\.1) }
    /// `GET /history` reads of a socket-run prompt between its first `progress` and its end (polls the socket made needless).
    public var historyReadsMidRun: Int { wsMidRunHistoryReads }
    /// Binary preview frames sent.
    public var previewsSent: Int { wsPreviews }
}
