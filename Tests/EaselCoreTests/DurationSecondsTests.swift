import EaselCore
import Testing

@Suite("Duration in seconds and milliseconds")
struct DurationSecondsTests {
    @Test func secondsFromTheCommandLineKeepWholeMilliseconds() {
        #expect(Duration.seconds(milliseconds: 2.5) == .milliseconds(2500))
        #expect(Duration.seconds(milliseconds: 0.0019) == .milliseconds(1))
        #expect(Duration.seconds(milliseconds: 0) == .zero)
    }

    @Test func aDurationReadsBackInSecondsAndWholeMilliseconds() {
        #expect(Duration.milliseconds(1234).inSeconds == 1.234)
        #expect((Duration.seconds(3) + .nanoseconds(999_999)).inMilliseconds == 3000)
        #expect(Duration.milliseconds(-1500).inMilliseconds == -1500)
    }
}
