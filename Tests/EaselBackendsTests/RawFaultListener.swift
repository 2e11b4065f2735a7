import Foundation
import Glibc

/// A raw TCP listener on loopback for the faults FlyingFox cannot make: a real TCP RST (`SO_LINGER`
/// 0 then `close`) on accept, or after the headers and part of a body.
final class RawFaultListener: @unchecked Sendable {
    enum Mode: Sendable {
        /// Reads the request, then resets the connection without a byte of answer.
        case resetOnAccept
        /// Reads the request, sends `200` headers promising 4096 bytes and 10 of them, then resets.
        case resetMidBody
    }

    let fd: Int32
    let port: Int
    private let thread: Thread

    private init(fd: Int32, port: Int, mode: Mode) {
        self.fd = fd
        self.port = port
        thread = Thread {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                Self.serve(c, mode)
            }
        }
        thread.start()
    }

    private static func serve(_ c: Int32, _ mode: Mode) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var got: [UInt8] = []
        while !got.containsHeaderEnd, got.count < 65536 {
            let n = read(c, &buffer, buffer.count)
            if n <= 0 { break }
            got += buffer[0..<n]
        }
        if mode == .resetMidBody {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"jobId\":\"x"
            _ = head.withCString { write(c, $0, strlen($0)) }
            usleep(50_000)
        }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)     // close(2) now sends RST, not FIN
        setsockopt(c, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(c)
    }

    static func start(_ mode: Mode) throws -> RawFaultListener {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return RawFaultListener(fd: fd, port: Int(UInt16(bigEndian: addr.sin_port)), mode: mode)
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return true }
        return false
    }
}
