import Foundation

extension ReferenceServer {
    /// The listening socket could not be set up: "port 8787 on 127.0.0.1 is in use (bind: Address already
    /// in use)". `code` is the `errno` of the failed call (`EADDRINUSE`, `EACCES`, …).
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let host: String
        public let port: UInt16
        public let code: Int32
        /// The socket call that failed, as FlyingSocks names it ("SocketBindFailed").
        public let call: String
        /// `strerror(code)`.
        public let reason: String

        public var description: String {
            switch code {
            case EADDRINUSE: "port \(port) on \(host) is in use (\(reason)); pick another with --port, or 0 for a free one"
            case EACCES: "port \(port) on \(host) needs privileges (\(reason)); use a port above 1023"
            case EADDRNOTAVAIL: "\(host) is not an address of this machine (\(reason))"
            default: "cannot listen on \(host):\(port): \(reason)"
            }
        }
    }
}
