import EaselCore
import Foundation

/// ComfyUI's WebSocket messages: text events `{"type": …, "data": {…}}` and binary preview frames.
/// reference/backends.md §1.5; https://docs.comfy.org/development/comfyui-server/comms_messages
extension ComfyUIBackend {
    /// Follows `job` over the adapter's WebSocket (opened on first use, see `ComfyUISocket`): `.running(progress:)`
    /// from `execution_start` (0) and each `progress` (`value / max`, 0…1, with `step: value/max` and the running
    /// node's `class_type` from the graph that was sent); on `execution_success` (or `executing`
    /// with `node: null`) `/history` is read once for the outputs and `.completed` follows; `execution_error` gives
    /// `.failed("KSampler (node 3): message")`, `execution_interrupted` `.failed("interrupted on the server")`.
    /// After a (re)connect every followed prompt is checked once in `/history`.
    /// - Returns: nil when the socket could not be opened before (proxy, old server): the caller polls.
    /// - Throws (from the sequence): `JobError.network` when the socket is refused, or lost and not regained
    ///   within `ComfyUISocket.reconnectAttempts`; the caller then polls the same prompt.
    public func statusEvents(of job: RemoteJobID) -> StatusEvents? {
        socket.follow(job)
    }

    /// The newest binary preview frame the server sent for `job` (JPEG or PNG bytes, at most
    /// `--preview-size` pixels a side), if it came after the previous call; nil otherwise. Frames arrive only
    /// while the job is followed by `statusEvents(of:)` and the server runs with `--preview-method` other than `none`.
    public func livePreview(of job: RemoteJobID) async -> ImageData? {
        socket.latestPreview(of: job)
    }

    /// One text message, reduced to what the adapter acts on.
    struct Event: Equatable {
        enum Kind: Equatable {
            /// `execution_start`.
            case started
            /// `executing`: the node now running, or nil when the whole prompt is done (history written).
            case executing(node: String?)
            /// `progress`: `value` of `max` steps of the running node (its id; nil in older builds).
            case progress(value: Int, max: Int, node: String? = nil)
            /// `execution_success`.
            case succeeded
            /// `execution_error` ("KSampler (node 3): message") or `execution_interrupted`.
            case failed(String)
        }
        let kind: Kind
        /// nil in older builds' `progress` (then the prompt is the one executing).
        let promptID: String?
    }

    /// Parses a text frame; nil for events the adapter ignores (`status`, `execution_cached`, `executed`,
    /// `progress_state`, `feature_flags`, unknown ones) and for anything that is not a JSON object with `type`.
    static func event(_ bytes: [UInt8]) -> Event? {
        guard let o = object(bytes), let type = o["type"] as? String else { return nil }
        let data = o["data"] as? [String: Any] ?? [:]
        let prompt = data["prompt_id"] as? String
        switch type {
        case "execution_start": return prompt.map { Event(kind: .started, promptID: $0) }
        case "executing":
            guard data.keys.contains("node") else { return nil }
            return Event(kind: .executing(node: data["node"] as? String), promptID: prompt)
        case "progress":
            guard let value = (data["value"] as? NSNumber)?.intValue, let max = (data["max"] as? NSNumber)?.intValue else { return nil }
            return Event(kind: .progress(value: value, max: max, node: data["node"] as? String), promptID: prompt)
        case "execution_success": return prompt.map { Event(kind: .succeeded, promptID: $0) }
        case "execution_error":
            let node = [data["node_type"] as? String, (data["node_id"] as? String).map { "(node \($0))" }].compactMap { $0 }
            let text = (data["exception_message"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let what = text.isEmpty ? (data["exception_type"] as? String ?? "execution error") : text
            return prompt.map { Event(kind: .failed(node.isEmpty ? what : node.joined(separator: " ") + ": " + what), promptID: $0) }
        case "execution_interrupted": return prompt.map { Event(kind: .failed("interrupted on the server"), promptID: $0) }
        default: return nil
        }
    }

    /// Parses a binary frame (all integers big-endian u32):
    /// type 1 `[1][format: 1 JPEG, 2 PNG][image…]`; type 4 `[4][json length][JSON metadata with prompt_id][image…]`.
    /// - Returns: the image bytes (checked to start like a JPEG or PNG) and the metadata's `prompt_id` (nil for
    ///   type 1); nil for other types (3 = text), truncated frames, or bytes that are no JPEG/PNG.
    static func previewFrame(_ bytes: [UInt8]) -> (promptID: String?, image: [UInt8])? {
        func u32(_ at: Int) -> Int? {
            guard bytes.count >= at + 4 else { return nil }
            return bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let type = u32(0) else { return nil }
        let image: [UInt8], prompt: String?
        switch type {
        case 1:
            guard u32(4) != nil else { return nil }
            image = Array(bytes[8...]); prompt = nil
        case 4:
            guard let length = u32(4), length <= bytes.count - 8 else { return nil }
            let meta = object(Array(bytes[8..<8 + length]))
            image = Array(bytes[(8 + length)...]); prompt = meta?["prompt_id"] as? String
        default: return nil
        }
        let isJPEG = image.starts(with: [0xFF, 0xD8, 0xFF]), isPNG = image.starts(with: [0x89, 0x50, 0x4E, 0x47])
        return isJPEG || isPNG ? (prompt, image) : nil
    }
}
