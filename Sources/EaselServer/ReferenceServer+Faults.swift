import FlyingFox
import FlyingSocks
import Foundation

/// Fault injection: which fault (if any) a request gets, and the answer it makes. See `Fault` and
/// docs/faults.md for the table.
extension ReferenceServer {
    /// The request header that picks a fault, when `Configuration.allowFaultHeader` is set.
    public static let faultHeader = HTTPHeader("X-Easel-Fault")

    /// Serves `req` through `normal`, or with the fault the request gets.
    func withFaults(_ endpoint: Fault.Endpoint, _ req: HTTPRequest,
                    _ normal: @Sendable () async -> HTTPResponse) async -> HTTPResponse {
        served[endpoint, default: 0] += 1
        let fault: Fault
        if configuration.allowFaultHeader, let name = req.headers[Self.faultHeader] {
            guard let f = Fault(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                return Self.json(.badRequest, ["error": Fault.Unknown(name: String(name.prefix(40))).message])
            }
            guard f.appliesTo(endpoint) else { return await normal() }
            fault = f
        } else {
            guard configuration.faultEndpoints?.contains(endpoint) ?? true else { return await normal() }
            let candidates = configuration.faults.filter { $0.appliesTo(endpoint) }
            guard !candidates.isEmpty else { return await normal() }
            let roll = Double(faultSeeds.next64() >> 11) / Double(1 << 53)
            guard roll < configuration.faultRate else { return await normal() }
            fault = candidates[Int(faultSeeds.next64() % UInt64(candidates.count))]
        }
        log("fault", level: "warn", ["fault": fault.rawValue, "request": "\(req.method.rawValue) \(req.path)"])
        if endpoint == .events, fault == .reset || fault == .slowBody {   // a stream has no "half the body"
            return events(req, cut: fault == .reset ? .close : .stall)
        }
        return await respond(fault, endpoint, req, normal)
    }

    private func respond(_ fault: Fault, _ endpoint: Fault.Endpoint, _ req: HTTPRequest,
                         _ normal: @Sendable () async -> HTTPResponse) async -> HTTPResponse {
        switch fault {
        case .refused:
            return HTTPResponse(webSocket: CloseWithoutAnswer())
        case .slowHeaders:
            try? await Task.sleep(for: configuration.faultStall)
            return await normal()
        case .slowBody, .reset:
            let (r, body) = await Self.materialize(await normal())
            let half = body.count / 2
            let parts: [FaultBody.Part] = [.bytes(Array(body[..<half])), fault == .slowBody ? .pause(configuration.faultStall) : .fail,
                                           .bytes(Array(body[half...]))]
            return HTTPResponse(statusCode: r.statusCode, headers: r.headers,
                                body: HTTPBodySequence(from: FaultBody(parts: parts), count: body.count))
        case .tooManyRequests, .tooManyRequestsBare:
            var r = Self.json(.tooManyRequests, ["error": "rate limit exceeded (injected fault)"])
            if fault == .tooManyRequests { r.headers[HTTPHeader("Retry-After")] = "1" }
            return r
        case .internalError:
            return Self.json(.internalServerError, ["error": "internal server error (injected fault)"])
        case .badGateway:
            return HTTPResponse(statusCode: .badGateway, headers: [.contentType: "text/html"],
                                body: Data("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n".utf8))
        case .unavailable:
            return Self.json(.serviceUnavailable, ["error": "service unavailable (injected fault)"])
        case .malformedJSON:
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"],
                                body: Data(#"{"jobId": "x1" "status": processing, "image": [}"#.utf8))
        case .truncatedJSON:
            let (r, body) = await Self.materialize(await normal())
            return HTTPResponse(statusCode: r.statusCode, headers: r.headers, body: Data(body.prefix(body.count / 2)))
        case .html:
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                                body: Data("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n".utf8))
        case .wrongContentType:
            var (r, body) = await Self.materialize(await normal())
            r.headers[.contentType] = endpoint == .image ? "text/html" : "text/plain"
            return HTTPResponse(statusCode: r.statusCode, headers: r.headers, body: Data(body))
        case .truncatedPNG:
            let (r, body) = await Self.materialize(await normal())
            guard r.statusCode == .ok else { return HTTPResponse(statusCode: r.statusCode, headers: r.headers, body: Data(body)) }
            return HTTPResponse(statusCode: .ok, headers: r.headers, body: Data(body.prefix(body.count / 2)))
        case .notImage:
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"],
                                body: Data("this is not an image, only text pretending to be one\n".utf8))
        case .bomb:
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png"], body: Data(Self.bombPNG))
        case .huge:
            let type = endpoint == .image ? "image/png" : "application/json"
            let headers: HTTPHeaders = [.contentType: type]
            return HTTPResponse(statusCode: .ok, headers: headers,
                                body: HTTPBodySequence(from: FaultBody(parts: [.filler(configuration.faultHugeBytes)]),
                                                       count: configuration.faultHugeBytes))
        case .redirectLoop:
            let headers: HTTPHeaders = [HTTPHeader("Location"): baseURL + req.path]
            return HTTPResponse(statusCode: .found, headers: headers)
        case .unknownJob:
            let id = String(req.path.split(separator: "/").last ?? "")
            return Self.json(.notFound, ["error": "unknown job id: \(id)"])
        case .escape:
            if endpoint == .generate { return Self.json(.badRequest, ["error": Fault.hostileText]) }
            return Self.json(.ok, ["status": "failed", "image": NSNull(), "error": Fault.hostileText])
        case .evilFilename:
            let (r, body) = await Self.materialize(await normal())
            if endpoint == .image {
                var headers = r.headers
                headers[HTTPHeader("Content-Disposition")] = #"attachment; filename="../../evil.png""#
                return HTTPResponse(statusCode: r.statusCode, headers: headers, body: Data(body))
            }
            guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
                  object["status"] as? String == "completed" else {
                return HTTPResponse(statusCode: r.statusCode, headers: r.headers, body: Data(body))
            }
            let id = String(req.path.split(separator: "/").last ?? "")
            object["image"] = "\(baseURL)/images/..%2F..%2F..%2Fevil%2F\(id).png"
            return Self.json(r.statusCode, object)
        }
    }

    private static func materialize(_ r: HTTPResponse) async -> (HTTPResponse, [UInt8]) {
        (r, [UInt8]((try? await r.bodyData) ?? Data()))
    }

    /// A valid PNG signature and `IHDR` declaring 30000 × 30000 RGBA pixels (3.6 GB decoded), an
    /// `IDAT` holding an empty zlib stream, and `IEND`: 68 bytes.
    public static let bombPNG: [UInt8] = {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            return be32(UInt32(data.count)) + typed + be32(crc32(typed))
        }
        let ihdr = be32(30_000) + be32(30_000) + [8, 6, 0, 0, 0]
        let emptyZlib: [UInt8] = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", emptyZlib) + chunk("IEND", [])
    }()
}

private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

/// CRC-32 (ISO 3309, as PNG chunks use), bitwise: only for the few bytes of `bombPNG`.
private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return ~c
}

/// A WebSocket "upgrade" that fails before its `101` is written: FlyingFox then closes the
/// connection having sent nothing, which is how the `refused` fault closes a connection unanswered.
private struct CloseWithoutAnswer: WSHandler {
    struct Closed: Error {}
    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        throw Closed()
    }
}

/// A response body in parts: bytes, a stall, a failure (which makes FlyingFox close the
/// connection mid-body), or filler bytes made on the fly (for `huge`, never held in memory).
struct FaultBody: AsyncBufferedSequence {
    typealias Element = UInt8
    enum Part: Sendable {
        case bytes([UInt8])
        case filler(Int)
        case pause(Duration)
        case fail
    }
    struct Closed: Error {}

    let parts: [Part]

    func makeAsyncIterator() -> Iterator { Iterator(parts: parts) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var parts: [Part]
        var index = 0
        var offset = 0

        mutating func next() async throws -> UInt8? { try await nextBuffer(suggested: 1)?.first }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            while index < parts.count {
                switch parts[index] {
                case .bytes(let b):
                    guard offset < b.count else { index += 1; offset = 0; continue }
                    let n = Swift.min(Swift.max(1, count), b.count - offset)
                    defer { offset += n }
                    return Array(b[offset..<offset + n])
                case .filler(let total):
                    guard offset < total else { index += 1; offset = 0; continue }
                    let n = Swift.min(Swift.max(1, count), total - offset)
                    offset += n
                    return [UInt8](repeating: 0x20, count: n)
                case .pause(let d):
                    index += 1
                    try await Task.sleep(for: d)
                case .fail:
                    throw Closed()
                }
            }
            return nil
        }
    }
}
