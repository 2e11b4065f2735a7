/// One dispatched server-sent event.
public struct ServerSentEvent: Equatable, Sendable {
    /// The `event:` field; "message" when the event named none.
    public var type: String
    /// The `data:` lines joined with "\n" (the spec drops the last newline).
    public var data: String
    /// The last event ID seen on the stream so far (it persists across events, as the spec says).
    public var lastEventID: String

    public init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}

/// An incremental `text/event-stream` parser: feed it bytes as they arrive, in any split, and it
/// returns the events completed by those bytes. Synchronous and allocation-light, so libcurl's write
/// callback can call it directly.
///
/// Follows the WHATWG "Interpreting an event stream" algorithm: lines end in CRLF, LF or CR (a CRLF split
/// across two reads is one line end); a leading UTF-8 BOM is skipped; `:` lines are comments; one space
/// after the colon is dropped; `id` containing NUL is ignored; `retry:` takes ASCII digits only; an event
/// with no data is not dispatched; an event not finished by a blank line when the stream ends is dropped.
/// - SeeAlso: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
public struct EventStreamParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var atStart = true
    private var type = ""
    private var data: [UInt8] = []
    private var hasData = false
    /// The stream's last event ID buffer: what a reconnect sends as `Last-Event-ID`.
    public private(set) var lastEventID = ""
    /// The reconnection time a `retry:` field set, in milliseconds; nil until one arrives.
    public private(set) var retry: Int?
    /// Comment lines seen (heartbeats are comments); lets a caller tell a live stream from a dead one.
    public private(set) var comments = 0

    public init() {}

    /// Consumes `bytes` and returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case 0x0A where lastWasCR:
                lastWasCR = false                   // the LF of a CRLF: the line already ended at the CR
            case 0x0A, 0x0D:
                lastWasCR = byte == 0x0D
                if let event = endLine() { out.append(event) }
            default:
                lastWasCR = false
                line.append(byte)
                if atStart, line.count == 3 {
                    if line == [0xEF, 0xBB, 0xBF] { line.removeAll() }
                    atStart = false
                }
            }
        }
        return out
    }

    private mutating func endLine() -> ServerSentEvent? {
        if atStart, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        atStart = false
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        if line[0] == UInt8(ascii: ":") { comments += 1; return nil }
        let name: ArraySlice<UInt8>, value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            name = line[..<colon]
            var v = line[(colon + 1)...]
            if v.first == UInt8(ascii: " ") { v = v.dropFirst() }
            value = v
        } else {
            (name, value) = (line[...], [])
        }
        switch String(decoding: name, as: UTF8.self) {
        case "event": type = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(contentsOf: value)
            data.append(0x0A)
            hasData = true
        case "id" where !value.contains(0):
            lastEventID = String(decoding: value, as: UTF8.self)
        case "retry" where !value.isEmpty && value.allSatisfy({ (0x30...0x39).contains($0) }):
            retry = Int(String(decoding: value, as: UTF8.self)) ?? retry
        default: break                                 // unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer { (type, data, hasData) = ("", [], false) }
        guard hasData else { return nil }
        if data.last == 0x0A { data.removeLast() }
        return ServerSentEvent(type: type.isEmpty ? "message" : type, data: String(decoding: data, as: UTF8.self),
                               lastEventID: lastEventID)
    }
}
