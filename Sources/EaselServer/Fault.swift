import Foundation

/// A failure the reference server can inject, for testing clients against the failure cases of
/// reference/backends.md §9–§10. Chosen per request with the `X-Easel-Fault: NAME` header (only when the
/// server was started with `Configuration.allowFaultHeader`), or at random from `Configuration.faults`
/// with probability `Configuration.faultRate` (`easel serve --fault NAME[,NAME…] --fault-rate 0..1`).
///
/// A fault that makes no sense for an endpoint (e.g. `truncated-png` on `/api/status`) leaves that
/// request alone; `appliesTo(_:)` says which endpoints each one touches. The full table is in
/// docs/faults.md.
public enum Fault: String, CaseIterable, Sendable {
    /// The connection is closed before any response byte is sent (curl: "Empty reply from server").
    /// A true "connection refused" needs a closed port; FlyingFox cannot refuse one connection.
    case refused
    /// Response headers are held back for `Configuration.faultStall` (default 30 s), then sent normally.
    case slowHeaders = "slow-headers"
    /// Headers and half the body are sent, then the transfer stalls for `faultStall` before the rest.
    case slowBody = "slow-body"
    /// Headers and half the body are sent, then the connection is closed (a FIN, not a TCP RST:
    /// FlyingFox owns the socket; tests that need a real RST use their own raw listener).
    case reset
    /// `429` with `Retry-After: 1` and a JSON error.
    case tooManyRequests = "429"
    /// `429` without `Retry-After`.
    case tooManyRequestsBare = "429-no-retry-after"
    /// `500` with a JSON error.
    case internalError = "500"
    /// `502` with an HTML page, as a proxy in front of a dead service sends.
    case badGateway = "502"
    /// `503` with a JSON error.
    case unavailable = "503"
    /// `200` whose JSON body does not parse.
    case malformedJSON = "malformed-json"
    /// `200` with the real JSON body cut in half (the `Content-Length` matches the cut body).
    case truncatedJSON = "truncated-json"
    /// `200 text/html` (a login or error page) where JSON was expected.
    case html
    /// The real body with a wrong `Content-Type` (`text/plain` for JSON, `text/html` for images).
    case wrongContentType = "wrong-content-type"
    /// The image, cut in half.
    case truncatedPNG = "truncated-png"
    /// `200 image/png` whose bytes are text, not an image.
    case notImage = "not-image"
    /// A 68-byte PNG whose header declares 30000 × 30000 pixels (a decompression bomb).
    case bomb
    /// `200` with a body of `Configuration.faultHugeBytes` (default 80 MiB), over the client's size cap.
    case huge
    /// `302` to the same URL, forever.
    case redirectLoop = "redirect-loop"
    /// `404 {"error": "unknown job id"}` from status and cancel, as after a server restart.
    case unknownJob = "unknown-job"
    /// Error strings carrying ESC, CSI, OSC, DCS, C1 and bidi-override characters: `400` from
    /// generate, `status: failed` from status.
    case escape
    /// A completed status whose image URL is `/images/..%2F..%2F..%2Fevil%2F{id}.png`, and an image
    /// sent with `Content-Disposition: attachment; filename="../../evil.png"`.
    case evilFilename = "evil-filename"

    /// The server's endpoints, as far as faults care.
    public enum Endpoint: String, Sendable, CaseIterable {
        case generate, status, cancel, image, health
        /// `GET /api/events/{jobId}` (text/event-stream).
        case events
        var servesJSON: Bool { self != .image && self != .events }
    }

    /// True when the fault changes the answer of `endpoint`; otherwise the request is served normally.
    public func appliesTo(_ endpoint: Endpoint) -> Bool {
        switch self {
        case .refused, .slowHeaders, .slowBody, .reset, .tooManyRequests, .tooManyRequestsBare, .internalError,
             .badGateway, .unavailable, .huge, .redirectLoop:
            true
        case .wrongContentType: endpoint != .events
        case .malformedJSON, .html: endpoint.servesJSON || endpoint == .events
        case .truncatedJSON: endpoint.servesJSON
        case .truncatedPNG, .notImage, .bomb: endpoint == .image
        case .unknownJob: endpoint == .status || endpoint == .cancel || endpoint == .events
        case .escape: endpoint == .generate || endpoint == .status
        case .evilFilename: endpoint == .status || endpoint == .image
        }
    }

    /// One line for `easel serve --help` and docs/faults.md.
    public var doc: String {
        switch self {
        case .refused: "close the connection before any response byte"
        case .slowHeaders: "hold the response headers back (--fault-stall seconds)"
        case .slowBody: "send half the body, then stall (--fault-stall seconds)"
        case .reset: "send half the body, then close the connection"
        case .tooManyRequests: "429 with Retry-After: 1"
        case .tooManyRequestsBare: "429 without Retry-After"
        case .internalError: "500 with a JSON error"
        case .badGateway: "502 with an HTML page"
        case .unavailable: "503 with a JSON error"
        case .malformedJSON: "200 with JSON that does not parse"
        case .truncatedJSON: "200 with the JSON cut in half"
        case .html: "200 text/html where JSON was expected"
        case .wrongContentType: "the right body with the wrong Content-Type"
        case .truncatedPNG: "the image cut in half"
        case .notImage: "image/png whose bytes are text"
        case .bomb: "a small PNG declaring 30000x30000 pixels"
        case .huge: "a body over the client's size cap (--fault-huge-mib)"
        case .redirectLoop: "302 to the same URL, forever"
        case .unknownJob: "404 from status and cancel, as after a restart"
        case .escape: "error text with ESC, CSI, OSC, C1 and bidi controls"
        case .evilFilename: "image URL and filename with ../ and /"
        }
    }

    /// Parses `NAME[,NAME…]`.
    /// - Throws: `Fault.Unknown` naming the first name that is not a fault.
    public static func parseList(_ text: String) throws(Unknown) -> [Fault] {
        var out: [Fault] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let f = Fault(rawValue: name) else { throw Unknown(name: name) }
            if !out.contains(f) { out.append(f) }
        }
        return out
    }

    /// A name that is not one of `Fault.allCases`.
    public struct Unknown: Error, Equatable {
        public let name: String
        public init(name: String) { self.name = name }
        public var message: String {
            "unknown fault \"\(name)\"; known: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }

    /// The text `escape` puts in error strings: CSI (clear screen, colour), OSC 0 (window title),
    /// OSC 52 (clipboard write), DCS, C1 CSI, a bell, and a right-to-left override.
    public static let hostileText =
        "boom\u{1B}[2J\u{1B}[31m red\u{1B}]0;pwned\u{07}\u{1B}]52;c;ZXZpbA==\u{1B}\\\u{1B}Pq#0\u{1B}\\\u{9B}1mC1\u{07}\u{202E}txt.exe"
}
