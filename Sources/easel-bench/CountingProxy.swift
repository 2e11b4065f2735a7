import EaselCore
import Foundation
import Glibc
import Synchronization

/// A TCP forwarder on 127.0.0.1 that counts the HTTP/1.1 requests passing through it, so the bench can
/// count what the studio sends a job server without touching the server. Request heads are parsed
/// from the client's byte stream (`Content-Length` bodies skipped; keep-alive and pipelining work);
/// job ids are picked out of the server's `{"jobId": …}` answers, and the server's own address in its
/// answers (image URLs) is rewritten in place to the proxy's, so downloads come through it too. The
/// rewrite works within one read (the reference server's JSON answers are small).
/// - SeeAlso: https://www.rfc-editor.org/rfc/rfc9112 (HTTP/1.1 message framing)
final class CountingProxy: Sendable {
    struct Request: Equatable, Sendable {
        /// `Clock.now()` when the request's head had arrived.
        let at: Double
        let method: String
        let path: String
    }

    private struct Log {
        var requests: [Request] = []
        var jobIDs: [String] = []
        var problems: [String] = []
    }

    /// The port clients should connect to.
    let port: UInt16
    private let target: UInt16
    private let listener: Int32
    /// Server address → proxy address, same length, applied to the server's bytes.
    private let rewrite: (from: [UInt8], to: [UInt8])
    private let log = Mutex(Log())
    private let stopped = Atomic<Bool>(false)

    /// Listens on a free loopback port and forwards every connection to `127.0.0.1:target`.
    /// - Throws: `BenchError` when the socket cannot be set up.
    init(target: UInt16) throws {
        self.target = target
        // The server names itself in its answers (`"image": "http://127.0.0.1:PORT/images/…"`); the proxy
        // rewrites that to its own address in place, so it needs a port with as many digits.
        var bound: (fd: Int32, port: UInt16)?
        for _ in 0..<20 where bound == nil {
            let b = try Self.listenLoopback()
            if String(b.port).count == String(target).count { bound = b } else { close(b.fd) }
        }
        guard let bound else { throw BenchError("proxy: no free port with as many digits as \(target)") }
        listener = bound.fd
        port = bound.port
        rewrite = (Array("127.0.0.1:\(target)".utf8), Array("127.0.0.1:\(bound.port)".utf8))
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    /// Stops accepting; open connections end when either side closes.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Forgets what was counted so far.
    func reset() { log.withLock { $0 = Log() } }

    var requests: [Request] { log.withLock { $0.requests } }
    var jobIDs: [String] { log.withLock { $0.jobIDs } }
    /// Streams the parser could not follow (chunked uploads, garbage); empty when every request was counted.
    var problems: [String] { log.withLock { $0.problems } }

    /// A listening socket on a free loopback port.
    private static func listenLoopback() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("proxy: socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw BenchError("proxy: bind/listen: \(String(cString: strerror(errno)))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    /// `bytes` with every `from` replaced by `to` (the same length).
    static func replacing(_ from: [UInt8], with to: [UInt8], in bytes: inout [UInt8]) {
        guard from.count == to.count, bytes.count >= from.count else { return }
        var i = 0
        while i + from.count <= bytes.count {
            if bytes[i] == from[0], bytes[i..<(i + from.count)].elementsEqual(from) {
                bytes.replaceSubrange(i..<(i + from.count), with: to)
                i += from.count
            } else {
                i += 1
            }
        }
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    /// A connected socket to `127.0.0.1:port`, or -1.
    static func connectLoopback(_ port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = loopback(port: port)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 { close(fd); return -1 }
        return fd
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Thread { [self] in forward(client) }.start()
        }
    }

    /// Copies bytes both ways until either side closes, feeding the client's bytes to a parser.
    private func forward(_ client: Int32) {
        let server = Self.connectLoopback(target)
        defer { close(client); if server >= 0 { close(server) } }
        guard server >= 0 else {
            log.withLock { $0.problems.append("cannot connect to the server on port \(target)") }
            return
        }
        var parser = RequestParser()
        var tail: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 1000) >= 0 || errno == EINTR else { return }
            for (i, (from, to)) in [(client, server), (server, client)].enumerated() where fds[i].revents != 0 {
                let n = read(from, &buf, buf.count)
                if n <= 0 { return }
                var chunk = Array(buf[0..<n])
                if from == client {
                    let now = Clock.now()
                    let found = parser.feed(chunk[...], now: now)
                    if !found.isEmpty || parser.problem != nil {
                        log.withLock { l in
                            l.requests += found
                            if let p = parser.problem, !l.problems.contains(p) { l.problems.append(p) }
                        }
                    }
                } else {
                    Self.replacing(rewrite.from, with: rewrite.to, in: &chunk)
                    let ids = Self.jobIDs(in: tail + chunk)
                    if !ids.isEmpty { log.withLock { l in for id in ids where !l.jobIDs.contains(id) { l.jobIDs.append(id) } } }
                    tail = Array((tail + chunk).suffix(128))
                }
                var off = 0
                while off < n {
                    let w = chunk.withUnsafeBytes { write(to, $0.baseAddress! + off, n - off) }
                    if w < 0 { if errno == EINTR { continue }; return }
                    off += w
                }
            }
        }
    }

    /// The values of `"jobId":"…"` in `bytes` (the reference server's compact JSON).
    static func jobIDs(in bytes: [UInt8]) -> [String] {
        let needle = Array("\"jobId\":\"".utf8)
        var ids: [String] = []
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i..<(i + needle.count)].elementsEqual(needle) {
                let start = i + needle.count
                if let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")), end - start < 128 {
                    ids.append(String(decoding: bytes[start..<end], as: UTF8.self))
                    i = end
                    continue
                }
            }
            i += 1
        }
        return ids
    }
}

/// Splits a client's HTTP/1.1 byte stream into requests: a head up to CRLF CRLF, then a body of
/// `Content-Length` bytes. `Transfer-Encoding: chunked` request bodies are reported as a problem.
struct RequestParser {
    private var buffer: [UInt8] = []
    private var bodyLeft = 0
    private(set) var problem: String?

    mutating func feed(_ bytes: ArraySlice<UInt8>, now: Double) -> [CountingProxy.Request] {
        var found: [CountingProxy.Request] = []
        var input = bytes[...]
        if bodyLeft > 0 {
            let skip = min(bodyLeft, input.count)
            bodyLeft -= skip
            input = input.dropFirst(skip)
        }
        buffer += input
        while bodyLeft == 0, let end = Self.headEnd(buffer) {
            let head = String(decoding: buffer[0..<end], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let first = lines.first?.split(separator: " ") ?? []
            guard first.count == 3, first[2].hasPrefix("HTTP/") else {
                problem = "not an HTTP request line: \(Sanitize.line(String(lines.first ?? "")).prefix(60))"
                buffer.removeAll()
                return found
            }
            found.append(.init(at: now, method: String(first[0]), path: String(first[1])))
            var length = 0
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
                if name == "content-length" { length = Int(value) ?? 0 }
                if name == "transfer-encoding" && value.lowercased().contains("chunked") {
                    problem = "a chunked request body (\(first[0]) \(first[1])): requests after it are not counted"
                }
            }
            buffer.removeFirst(end + 4)
            let inBuffer = min(length, buffer.count)
            buffer.removeFirst(inBuffer)
            bodyLeft = length - inBuffer
        }
        return found
    }

    /// Index of the CR of the first CRLF CRLF.
    private static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}
