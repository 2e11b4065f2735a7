import EaselServer
import Foundation
import Testing

@Suite("easel serve on a port already in use")
struct ServeStartTests {
    @Test func aSecondServerOnTheSamePortFailsAtOnceNamingThePort() async throws {
        let holder = ReferenceServer(configuration: .init())
        try await holder.start()
        let port = await holder.port
        var config = ReferenceServer.Configuration()
        config.port = port
        let second = ReferenceServer(configuration: config)
        let started = ContinuousClock.now
        do {
            try await second.start()
            Issue.record("the second server started on a port in use")
            await second.stop()
        } catch let error as ReferenceServer.StartError {
            #expect(error.code == EADDRINUSE)
            #expect(error.description.hasPrefix("port \(port) on 127.0.0.1 is in use"))
        } catch {
            Issue.record("not a StartError: \(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        await holder.stop()
    }
}
