import Foundation
import Glibc
import Synchronization

/// A raw TCP listener on loopback that answers every request with `200` headers and a body played
/// from a script: bytes, pauses, and an optional endless stall. It records when it wrote the last
/// byte, so a test can measure how long the client waited after it.
final class ScriptedBodyServer: @unchecked Sendable {
    enum Part: Sendable {
        /// Writes this many bytes of `x`.
        case bytes(Int)
        /// Writes nothing for this long.
        case pause(Duration)
    }

    let fd: Int32
    let port: Int
    private let thread: Thread
    /// When the server last wrote to a client (headers or body bytes).
    private final class Stamp: Sendable { let instant = Mutex<ContinuousClock.Instant?>(nil) }
    private let lastWrite = Stamp()

    var lastByteAt: ContinuousClock.Instant? { lastWrite.instant.withLock { $0 } }

    /// - Parameters:
    ///   - script: the body, in order; `Content-Length` is the sum of its bytes plus `missing`.
    ///   - missing: bytes promised but never sent: after the script the server holds the connection
    ///     open, silent, until the client closes it.
    private init(fd: Int32, port: Int, script: [Part], missing: Int) {
        self.fd = fd
        self.port = port
        let lastWrite = self.lastWrite
        thread = Thread {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                Self.serve(c, script, missing, lastWrite)
            }
        }
        thread.start()
    }

    private static func serve(_ c: Int32, _ script: [Part], _ missing: Int, _ lastWrite: Stamp) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var got: [UInt8] = []
        while !got.contains13101310, got.count < 65536 {
            let n = read(c, &buffer, buffer.count)
            if n <= 0 { close(c); return }
            got += buffer[0..<n]
        }
        let length = script.reduce(missing) { if case .bytes(let n) = $1 { $0 + n } else { $0 } }
        func send(_ bytes: [UInt8]) {
            // MSG_NOSIGNAL: a client that gave up makes this fail with EPIPE, not kill the test process.
            let sent = bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { lastWrite.instant.withLock { $0 = .now } }
        }
        send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(length)\r\n\r\n".utf8))
        for part in script {
            switch part {
            case .bytes(let n): send([UInt8](repeating: UInt8(ascii: "x"), count: n))
            case .pause(let d): Thread.sleep(forTimeInterval: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
            }
        }
        if missing > 0 {
            while read(c, &buffer, buffer.count) > 0 {}       // silent until the client hangs up
        }
        close(c)
    }

    static func start(_ script: [Part], missing: Int = 0) throws -> ScriptedBodyServer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return ScriptedBodyServer(fd: fd, port: Int(UInt16(bigEndian: addr.sin_port)), script: script, missing: missing)
    }

    var url: String { "http://127.0.0.1:\(port)/image.png" }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

private extension Array where Element == UInt8 {
    var contains13101310: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return true }
        return false
    }
}
