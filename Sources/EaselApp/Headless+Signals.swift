import Dispatch
import Glibc

extension Headless {
    /// SIGINT and SIGTERM as a stream, for `run(interrupts:)`: their default action (dying at once) is
    /// replaced by this stream until the first of them arrives, then restored, so a second C-c or
    /// SIGTERM ends the process at once. Call once per process, before the run.
    public static func interruptSignals() -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        nonisolated(unsafe) let sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)                 // a signal source sees only signals that are not acted on
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
                continuation.yield(sig)
            }
            source.resume()
            return source
        }
        continuation.onTermination = { _ in sources.forEach { $0.cancel() } }
        return stream
    }
}
