import Foundation

/// One HTTP request. Headers keep their order; names are sent as given.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE", put = "PUT" }
    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(_ method: Method = .get, _ url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// A `POST` with a JSON body and `Content-Type: application/json`.
    public static func postJSON(_ url: String, _ json: [UInt8], headers: [(name: String, value: String)] = []) -> HTTPRequest {
        HTTPRequest(.post, url, headers: headers + [("Content-Type", "application/json"), ("Accept", "application/json")], body: json)
    }
}

/// A complete response. Header names are lower-cased; the last value of a repeated header wins.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var contentType: String? { headers["content-type"] }

    /// `Retry-After` as a duration: delta-seconds, or an HTTP-date relative to `now`.
    /// RFC 9110 §10.2.3. `nil` when absent or unparsable.
    public func retryAfter(now: Date = Date()) -> Duration? {
        guard let raw = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        if let seconds = Int(raw), seconds >= 0 { return .seconds(seconds) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = f.date(from: raw) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }
}

/// Transport failures. HTTP error statuses are not errors here: they arrive as responses.
public enum HTTPError: Error, Equatable, Sendable {
    /// Could not connect, DNS, reset, TLS: libcurl's message and `CURLcode`.
    case transport(code: Int, message: String)
    /// A connect, first-byte, body-stall or total timeout fired.
    case timedOut(String)
    /// The body exceeded `HTTPClient.Configuration.maxResponseBytes`.
    case tooLarge(limit: Int)
    /// More redirects than `maxRedirects`.
    case tooManyRedirects
    /// The task was canceled.
    case canceled

    public var message: String {
        switch self {
        case .transport(let code, let message): "\(message) (curl \(code))"
        case .timedOut(let what): "timed out: \(what)"
        case .tooLarge(let limit):
            limit >= 1_048_576 ? "response larger than \(limit / 1_048_576) MiB" : "response larger than \(limit / 1024) KiB"
        case .tooManyRedirects: "too many redirects"
        case .canceled: "canceled"
        }
    }
}
