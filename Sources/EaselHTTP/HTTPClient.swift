import CCurl
import Foundation
import Dispatch
import Synchronization

/// An async HTTP/1.1 client over libcurl's easy interface. Each transfer runs `curl_easy_perform`
/// on its own serial dispatch queue (never on the cooperative pool) and resumes the caller.
/// Cancelling the calling task aborts the transfer through the progress callback.
/// - SeeAlso: https://curl.se/libcurl/c/libcurl-easy.html
public final class HTTPClient: Sendable {
    /// The client's limits. Every one is enforced by libcurl or by this file's callbacks, and each
    /// failure is a distinct `HTTPError` (backends map them to `JobError`s in one place).
    /// - SeeAlso: https://curl.se/libcurl/c/curl_easy_setopt.html
    public struct Configuration: Sendable {
        /// Longest wait for the TCP (and TLS) connection, `CURLOPT_CONNECTTIMEOUT_MS`; default 10 s.
        /// Past it: `HTTPError.timedOut`.
        public var connectTimeout: Duration = .seconds(10)
        /// Longest wait from the start of the request to the first response header line (the
        /// server accepted the connection but does not answer); default 30 s. libcurl has no such
        /// option: the transfer's progress callback aborts it. Past it: `HTTPError.timedOut`.
        public var firstByteTimeout: Duration = .seconds(30)
        /// Longest whole transfer, connect to last body byte, `CURLOPT_TIMEOUT_MS`; default 60 s.
        /// Past it: `HTTPError.timedOut`.
        public var totalTimeout: Duration = .seconds(60)
        /// The body-stall rule, the only one: once the response headers have arrived, a transfer that
        /// receives **no byte for `stallTimeout`** fails with `HTTPError.timedOut` ("the body stalled:
        /// no byte for N s"); default 20 s. The clock restarts at every byte received, so a slow but
        /// steady body never trips it, and a stall fails after the same time wherever it falls. Checked
        /// from libcurl's progress callback, which runs at least once a second: a stall is noticed
        /// between `stallTimeout` and `stallTimeout` + 1 s after the last byte. Not curl's
        /// `CURLOPT_LOW_SPEED_*`: those average the speed over a few seconds (so the same stall trips
        /// at different times after a burst) and also cover the wait for the headers, which is
        /// `firstByteTimeout`'s (a synchronous service answers only when the image is done). The whole
        /// transfer is bounded separately by `totalTimeout`.
        public var stallTimeout: Duration = .seconds(20)
        /// Largest accepted body in bytes, checked against `Content-Length` up front
        /// (`CURLOPT_MAXFILESIZE_LARGE`) and while streaming; default 64 MiB. Past it: `HTTPError.tooLarge`.
        public var maxResponseBytes = 64 << 20
        /// Redirects followed (`CURLOPT_MAXREDIRS`, http/https only); default 5. One more:
        /// `HTTPError.tooManyRedirects`.
        public var maxRedirects = 5
        public var userAgent = "easel/0.1"
        /// Headers added to every request, before the request's own (e.g. a test's `X-Easel-Fault`).
        public var defaultHeaders: [(name: String, value: String)] = []
        public init() {}
    }

    public let configuration: Configuration
    /// Answers requests in place of libcurl when set: the seam that lets tests fuzz the adapters' response
    /// decoders in process. Nil (the default) sends every request over the network.
    public let transport: (@Sendable (HTTPRequest) async throws(HTTPError) -> HTTPResponse)?

    /// - Parameter transport: answers every request instead of libcurl (no network, no limits of
    ///   `configuration` applied); nil for the real client.
    public init(configuration: Configuration = Configuration(),
                transport: (@Sendable (HTTPRequest) async throws(HTTPError) -> HTTPResponse)? = nil) {
        _ = curlGlobalInit
        self.configuration = configuration
        self.transport = transport
    }

    /// Performs `request` and returns the whole response.
    /// - Throws: `HTTPError` for transport failures, timeouts, oversize bodies and cancellation;
    ///   HTTP error statuses (4xx/5xx) are returned as responses.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        if let transport { return try await transport(request) }
        let transfer = Transfer(limit: configuration.maxResponseBytes, config: configuration)
        let config = configuration
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) in
                DispatchQueue(label: "easel.http.transfer").async {
                    cont.resume(returning: Self.perform(request, transfer, config))
                }
            }
        } onCancel: {
            transfer.canceled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    /// Blocking transfer; runs on the transfer's own queue. With `t.sink` set the body goes to the sink
    /// as it arrives (not into the response) and there is no total timeout (see `stream(_:idleTimeout:)`).
    static func perform(_ request: HTTPRequest, _ t: Transfer, _ config: Configuration) -> Result<HTTPResponse, HTTPError> {
        if t.canceled.load(ordering: .relaxed) { return .failure(.canceled) }
        guard let h = curl_easy_init() else { return .failure(.transport(code: 2, message: "curl_easy_init failed")) }
        defer { curl_easy_cleanup(h) }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in config.defaultHeaders + request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        headerList = curl_slist_append(headerList, "Expect:")     // no 100-continue round trip

        ccurl_setopt_string(h, CURLOPT_URL, request.url)
        ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 1)
        ccurl_setopt_long(h, CURLOPT_MAXREDIRS, config.maxRedirects)
        ccurl_setopt_long(h, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        ccurl_setopt_long(h, CURLOPT_REDIR_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(config.connectTimeout))
        ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, t.sink == nil ? milliseconds(config.totalTimeout) : 0)
        t.handle = h
        ccurl_setopt_off_t(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(config.maxResponseBytes))
        ccurl_setopt_string(h, CURLOPT_USERAGENT, config.userAgent)
        ccurl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, "")        // any encoding libcurl can decode
        ccurl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)
        switch request.method {
        case .get: break
        case .post, .put, .delete: ccurl_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        var body = request.body ?? []
        let rc: CURLcode = body.withUnsafeMutableBytes { raw in
            if request.body != nil {
                ccurl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count))
                ccurl_setopt_ptr(h, CURLOPT_POSTFIELDS, raw.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1))
            }
            let ctx = Unmanaged.passUnretained(t).toOpaque()
            ccurl_setopt_write_callback(h, { ptr, size, nmemb, ud in
                let n = size * nmemb
                guard let ptr, let ud else { return 0 }
                let t = Unmanaged<Transfer>.fromOpaque(ud).takeUnretainedValue()
                if let sink = t.sink {
                    if t.canceled.load(ordering: .relaxed) { return 0 }
                    if !t.sentHead {
                        t.sentHead = true
                        var status = 0
                        ccurl_getinfo_long(t.handle, CURLINFO_RESPONSE_CODE, &status)
                        sink(.head(status: status, headers: t.headers))
                    }
                    sink(.bytes(Array(UnsafeRawBufferPointer(start: ptr, count: n))))
                    return n
                }
                if t.body.count + n > t.limit { t.overflow = true; return 0 }   // CURLE_WRITE_ERROR
                t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: n))
                return n
            }, ctx)
            ccurl_setopt_header_callback(h, { ptr, size, nmemb, ud in
                let n = size * nmemb
                guard let ptr, let ud else { return 0 }
                let t = Unmanaged<Transfer>.fromOpaque(ud).takeUnretainedValue()
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
                t.gotHeaders.store(true, ordering: .relaxed)
                if line.hasPrefix("HTTP/") { t.headers = [:]; return n }       // a new response (redirect)
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t", "\r", "\n"])
                    t.headers[name] = value
                }
                return n
            }, ctx)
            ccurl_setopt_xferinfo_callback(h, { cp, _, dlnow, _, _ in
                let t = Unmanaged<Transfer>.fromOpaque(cp!).takeUnretainedValue()
                if t.canceled.load(ordering: .relaxed) { return 1 }
                let now = ContinuousClock.now
                guard t.gotHeaders.load(ordering: .relaxed) else {
                    if now - t.started > t.firstByteTimeout {
                        t.expired = .firstByte
                        return 1                                               // CURLE_ABORTED_BY_CALLBACK
                    }
                    return 0
                }
                // The stall clock starts when the headers arrive and restarts at every body byte.
                guard let lastByte = t.lastByteAt, Int64(dlnow) == t.bytesSeen else {
                    (t.lastByteAt, t.bytesSeen) = (now, Int64(dlnow))
                    return 0
                }
                if now - lastByte >= t.stallTimeout {
                    t.expired = .stall
                    return 1
                }
                return 0
            }, ctx)
            return withExtendedLifetime(t) { curl_easy_perform(h) }
        }
        if t.canceled.load(ordering: .relaxed) { return .failure(.canceled) }
        switch t.expired {
        case .firstByte?:
            return .failure(.timedOut("no response headers within \(seconds(config.firstByteTimeout)) s"))
        case .stall?:
            return .failure(.timedOut("the body stalled: no byte for \(seconds(t.stallTimeout)) s"))
        case nil: break
        }
        if t.overflow || rc == CURLE_FILESIZE_EXCEEDED { return .failure(.tooLarge(limit: config.maxResponseBytes)) }
        guard rc == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(rc))
            switch rc {
            case CURLE_OPERATION_TIMEDOUT: return .failure(.timedOut(message))
            case CURLE_TOO_MANY_REDIRECTS: return .failure(.tooManyRedirects)
            default: return .failure(.transport(code: Int(rc.rawValue), message: message))
            }
        }
        var status = 0
        ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        if let sink = t.sink, !t.sentHead { t.sentHead = true; sink(.head(status: status, headers: t.headers)) }
        return .success(HTTPResponse(status: status, headers: t.headers, body: t.body))
    }
}

/// "1", "0.5": whole seconds without a fraction.
func seconds(_ d: Duration) -> String {
    let ms = milliseconds(d)
    return ms % 1000 == 0 ? "\(ms / 1000)" : String(format: "%.1f", Double(ms) / 1000)
}

private func milliseconds(_ d: Duration) -> Int {
    let c = d.components
    return Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000)
}

/// `curl_global_init` must run once before any thread uses libcurl.
private let curlGlobalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

/// Per-transfer state reached from C callbacks through a `void*`. Only the transfer's thread
/// touches `body`, `headers` and the stream fields; `canceled` is atomic, so `@unchecked Sendable` is honest.
final class Transfer: @unchecked Sendable {
    let limit: Int
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var overflow = false
    /// Which of the callback's own limits aborted the transfer.
    enum Expiry { case firstByte, stall }
    var expired: Expiry?
    let canceled = Atomic<Bool>(false)
    let gotHeaders = Atomic<Bool>(false)
    let started = ContinuousClock.now
    let firstByteTimeout: Duration
    /// The longest gap between body bytes: `Configuration.stallTimeout`, or a stream's `idleTimeout`.
    let stallTimeout: Duration
    /// When the body count last grew (or the headers arrived), and the count then.
    var lastByteAt: ContinuousClock.Instant?
    var bytesSeen: Int64 = 0
    /// Streaming only: where the head and body go, whether the head went, and the easy handle (for the status).
    let sink: (@Sendable (HTTPStreamPart) -> Void)?
    var sentHead = false
    var handle: UnsafeMutableRawPointer?
    init(limit: Int, config: HTTPClient.Configuration, sink: (@Sendable (HTTPStreamPart) -> Void)? = nil,
         idleTimeout: Duration? = nil) {
        self.sink = sink
        self.limit = limit
        firstByteTimeout = config.firstByteTimeout
        stallTimeout = idleTimeout ?? config.stallTimeout
    }
}
