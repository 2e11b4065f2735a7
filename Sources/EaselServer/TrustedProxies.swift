import Foundation
import Glibc

/// `X-Forwarded-For` handling for `easel serve --trusted-proxy CIDR`: whom the per-IP rate limit counts a
/// request against. With no trusted proxies (the default) it is always the socket's peer, so a client
/// cannot dodge the limit by sending the header. When the peer is a trusted proxy, the header's hops are
/// read from the right (the proxy appends the address it saw), trusted ones skipped: the first untrusted
/// hop is the client. A header of trusted hops only gives its leftmost; a hop that is not an address
/// ends the walk there (a forged or garbled prefix never picks the key).
/// - SeeAlso: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For#selecting_an_ip_address
public struct TrustedProxies: Equatable, Sendable {
    /// An IPv4 or IPv6 network: `10.0.0.0/8`, `::1/128`; a bare address is the whole-length prefix.
    public struct CIDR: Equatable, Sendable, CustomStringConvertible {
        /// 4 or 16 bytes, in network order; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is stored as IPv4.
        let bytes: [UInt8]
        /// Leading bits that must match, 0...32 or 0...128.
        let prefix: Int
        public let description: String

        /// Parses `ADDRESS[/BITS]`; nil for anything else.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let bytes = TrustedProxies.address(String(parts[0])) else { return nil }
            let maxBits = bytes.count * 8
            var bits = maxBits
            if parts.count == 2 {
                guard let n = Int(parts[1]), (0...(parts[0].contains(":") && bytes.count == 4 ? 128 : maxBits)).contains(n) else { return nil }
                bits = parts[0].contains(":") && bytes.count == 4 ? max(0, n - 96) : n   // ::ffff:a.b.c.d/120 → /24
            }
            self.bytes = bytes
            self.prefix = bits
            description = text
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for (a, b) in zip(address, bytes) where left > 0 {
                let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
                guard a & mask == b & mask else { return false }
                left -= 8
            }
            return true
        }
    }

    public var networks: [CIDR]

    public init(_ networks: [CIDR] = []) { self.networks = networks }

    /// The address the rate limit keys on for a request from `peer` carrying `forwardedFor` (the
    /// `X-Forwarded-For` header, nil when absent). Addresses come back in their canonical text form.
    public func client(peer: String, forwardedFor: String?) -> String {
        guard let forwardedFor, isTrusted(peer) else { return peer }
        var chosen = peer
        for hop in forwardedFor.split(separator: ",").reversed() {
            let text = hop.trimmingCharacters(in: .whitespaces)
            guard let bytes = Self.address(text) else { break }
            chosen = Self.text(bytes)
            if !networks.contains(where: { $0.contains(bytes) }) { return chosen }
        }
        return chosen
    }

    /// True when `address` is in one of the trusted networks.
    public func isTrusted(_ address: String) -> Bool {
        guard let bytes = Self.address(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6, nil for anything else (`inet_pton`).
    static func address(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    /// `inet_ntop` of 4 or 16 bytes.
    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
