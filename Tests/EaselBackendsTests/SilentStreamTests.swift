import EaselApp
import EaselBackends
import EaselCore
import EaselStore
import Synchronization
import Testing

/// A service whose status stream opens and says nothing (a ComfyUI prompt queued behind others sends no
/// event until it starts); it counts status requests.
private final class SilentStreamService: GenerationBackend {
    let displayName = "silent"
    let polls = Mutex(0)
    let events: StatusEvents
    let push: StatusEvents.Continuation

    init() { (events, push) = StatusEvents.makeStream() }

    func submit(_ request: GenerationRequest) async throws(JobError) -> (RemoteJobID, RemoteStatus) {
        (RemoteJobID("r1"), .queued(position: 3))
    }

    func status(of job: RemoteJobID) async throws(JobError) -> RemoteStatus {
        polls.withLock { $0 += 1 }
        return .queued(position: 3)
    }

    func download(_ image: ImageRef) async throws(JobError) -> ImageData { throw .notFound }

    func statusEvents(of job: RemoteJobID) -> StatusEvents? { events }
}

@Suite("A status stream that is open but silent")
struct SilentStreamTests {
    @Test func aSilentStreamAnswersEachPollWithWhatTheServiceLastSaidAndNeverPollsIt() async throws {
        let service = SilentStreamService()
        let (actions, sink) = AsyncStream<Action>.makeStream()
        let runner = EffectRunner(backend: service, gallery: Gallery(directory: tempDir()), send: { sink.yield($0) })
        var next = actions.makeAsyncIterator()
        runner.run(.submit(JobID(1), GenerationRequest(prompt: "harbour"), backend: "demo"))
        #expect(await next.next() == .submitted(JobID(1), RemoteJobID("r1"), status: .queued(position: 3)))
        for _ in 1...3 {                          // the reducer's poll chain: each answer orders the next poll
            runner.run(.poll(JobID(1), RemoteJobID("r1"), after: .milliseconds(50), backend: "demo"))
            #expect(await next.next() == .statusPolled(JobID(1), .queued(position: 3)))
        }
        #expect(service.polls.withLock { $0 } == 0, "polled while the stream was open")
        // The stream speaks: its news is answered as before.
        service.push.yield(.running(progress: 0.5))
        runner.run(.poll(JobID(1), RemoteJobID("r1"), after: .seconds(30), backend: "demo"))
        #expect(await next.next() == .statusPolled(JobID(1), .running(progress: 0.5)))
        #expect(service.polls.withLock { $0 } == 0)
        runner.cancelAll()
    }
}
