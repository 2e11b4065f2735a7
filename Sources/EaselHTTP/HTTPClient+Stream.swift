import Dispatch

/// A piece of a streamed response, in arrival order: the head once, then the body as libcurl hands it over.
public enum HTTPStreamPart: Equatable, Sendable {
    /// The final response's status and headers (names lower-cased), sent before the first body byte.
    case head(status: Int, headers: [String: String])
    /// Body bytes, in whatever split the network delivered them.
    case bytes([UInt8])
}

extension HTTPClient {
    /// Performs `request` and hands over its response as it arrives, for long-lived bodies such as
    /// `text/event-stream`. There is no total timeout, and nothing is kept (the caller reads and drops);
    /// libcurl (8.4 and later) still ends a stream past `maxResponseBytes` in all. The connect and
    /// first-byte timeouts of `configuration` apply, and once the headers are in, a gap of more than
    /// `idleTimeout` between two body bytes ends the stream with `HTTPError.timedOut` (`stallTimeout`'s
    /// rule, checked from libcurl's progress callback about once a second, so a stall is noticed within
    /// `idleTimeout` + 1 s).
    ///
    /// The sequence yields `.head` first (also for error statuses, whose body follows as `.bytes`), ends when
    /// the server closes the response, and throws `HTTPError` on transport failures and timeouts. Ending
    /// the iteration (or cancelling the iterating task) aborts the transfer.
    /// - Parameter idleTimeout: longest silence tolerated mid-stream; servers send heartbeats well inside it.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html
    public func stream(_ request: HTTPRequest, idleTimeout: Duration) -> AsyncThrowingStream<HTTPStreamPart, any Error> {
        let (parts, continuation) = AsyncThrowingStream<HTTPStreamPart, any Error>.makeStream()
        if let transport {                      // the whole answer at once: head, then the body
            let task = Task {
                do throws(HTTPError) {
                    let response = try await transport(request)
                    continuation.yield(.head(status: response.status, headers: response.headers))
                    if !response.body.isEmpty { continuation.yield(.bytes(response.body)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
            return parts
        }
        let transfer = Transfer(limit: .max, config: configuration, sink: { continuation.yield($0) }, idleTimeout: idleTimeout)
        continuation.onTermination = { _ in transfer.canceled.store(true, ordering: .relaxed) }
        let config = configuration
        DispatchQueue(label: "easel.http.stream").async {
            switch Self.perform(request, transfer, config) {
            case .success: continuation.finish()
            case .failure(let error): continuation.finish(throwing: error)
            }
        }
        return parts
    }
}
