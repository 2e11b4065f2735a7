/// A per-client sliding-window rate limit: at most `limit` requests in any `window`.
/// Pure value type; the caller passes the time in.
public struct RateLimiter: Sendable {
    public let limit: Int
    public let window: Duration
    private var hits: [String: [ContinuousClock.Instant]] = [:]

    public init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Records a request from `client` at `now` when allowed.
    /// - Returns: `nil` when the request is allowed, else the time until the oldest request in the
    ///   window expires (what `Retry-After` should say).
    public mutating func admit(_ client: String, now: ContinuousClock.Instant) -> Duration? {
        if let wait = check(client, now: now) { return wait }
        record(client, now: now)
        return nil
    }

    /// The wait before `client` may make a request at `now`, without recording one; `nil` when allowed.
    public mutating func check(_ client: String, now: ContinuousClock.Instant) -> Duration? {
        let recent = (hits[client] ?? []).filter { now - $0 < window }
        hits[client] = recent.isEmpty ? nil : recent
        return recent.count < limit ? nil : recent[0] + window - now
    }

    /// Counts a request from `client` at `now` (call it only for requests that were accepted).
    public mutating func record(_ client: String, now: ContinuousClock.Instant) {
        hits[client, default: []].append(now)
    }
}

/// `8/60s` style rate-limit text: requests, a slash, then a window in `s`, `m` or `h`.
public struct RateLimitSpec: Equatable, Sendable, CustomStringConvertible {
    public let requests: Int
    public let window: Duration

    public init(requests: Int, window: Duration) {
        self.requests = requests
        self.window = window
    }

    /// Parses `"8/60s"`, `"100/1m"`, `"5/1h"`; a bare number of seconds (`"8/60"`) is accepted too.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), n > 0 else { return nil }
        var w = String(parts[1])
        var unit = 1
        if let last = w.last, !last.isNumber {
            switch last {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            default: return nil
            }
            w.removeLast()
        }
        guard let value = Int(w), value > 0 else { return nil }
        self.init(requests: n, window: .seconds(value * unit))
    }

    public var description: String { "\(requests)/\(window.components.seconds)s" }
}
