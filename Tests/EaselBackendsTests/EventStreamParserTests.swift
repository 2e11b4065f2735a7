import EaselHTTP
import Testing

/// `EventStreamParser` against the WHATWG spec's own examples, every line ending, splits at every byte,
/// `retry:`, comments and garbage.
/// Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
@Suite("Event-stream parser: the WHATWG examples, line ends, splits and garbage")
struct EventStreamParserTests {
    /// Feeds `text` in one piece, then byte by byte, and checks both give the same events.
    func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ServerSentEvent] {
        var whole = EventStreamParser()
        let all = whole.feed(Array(text.utf8))
        var split = EventStreamParser()
        let bytes = Array(text.utf8).flatMap { split.feed([$0]) }
        #expect(bytes == all, "byte-by-byte feeding gave other events", sourceLocation: sourceLocation)
        return all
    }

    @Test func stockExampleJoinsDataLinesWithNewlines() {
        // The spec's first example: three data lines make one message.
        #expect(parse("data: YHOO\ndata: +2\ndata: 10\n\n") == [ServerSentEvent(data: "YHOO\n+2\n10")])
    }

    @Test func commentsIdsAndOneLeadingSpaceFollowTheSpecsSecondExample() {
        let events = parse(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n")
        #expect(events == [ServerSentEvent(data: "first event", lastEventID: "1"),
                           ServerSentEvent(data: "second event", lastEventID: ""),     // a bare `id` resets it
                           ServerSentEvent(data: " third event", lastEventID: "")])   // only one space is dropped
    }

    @Test func emptyDataFieldsDispatchAndAnUnfinishedEventAtTheEndDoesNot() {
        // The spec's third example: "", "\n", and a last event with no blank line, which is dropped.
        #expect(parse("data\n\ndata\ndata\n\ndata:") == [ServerSentEvent(data: ""), ServerSentEvent(data: "\n")])
    }

    @Test func aSpaceAfterTheColonIsOptional() {
        #expect(parse("data:test\n\ndata: test\n\n") == [ServerSentEvent(data: "test"), ServerSentEvent(data: "test")])
    }

    @Test func crlfCrAndLfLineEndsGiveTheSameEvents() {
        let expected = [ServerSentEvent(type: "status", data: "{\"a\":1}", lastEventID: "7"), ServerSentEvent(data: "x", lastEventID: "7")]
        #expect(parse("id: 7\nevent: status\ndata: {\"a\":1}\n\ndata: x\n\n") == expected)
        #expect(parse("id: 7\r\nevent: status\r\ndata: {\"a\":1}\r\n\r\ndata: x\r\n\r\n") == expected)
        #expect(parse("id: 7\revent: status\rdata: {\"a\":1}\r\rdata: x\r\r") == expected)
        #expect(parse("id: 7\r\nevent: status\ndata: {\"a\":1}\r\rdata: x\n\r\n") == expected)
    }

    @Test func aCRLFSplitAcrossTwoReadsIsOneLineEnd() {
        var p = EventStreamParser()
        #expect(p.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(p.feed(Array("\n\r".utf8)) == [ServerSentEvent(data: "a")])       // CR LF, then the blank line's CR
        #expect(p.feed(Array("\ndata: b\n\n".utf8)) == [ServerSentEvent(data: "b")])   // its LF is not another blank line
    }

    @Test func aFieldSplitInsideItsNameOrValueIsJoined() {
        var p = EventStreamParser()
        #expect(p.feed(Array("ev".utf8)).isEmpty)
        #expect(p.feed(Array("ent: progr".utf8)).isEmpty)
        #expect(p.feed(Array("ess\nda".utf8)).isEmpty)
        #expect(p.feed(Array("ta: {\"progress\":".utf8)).isEmpty)
        #expect(p.feed(Array("0.5}\n".utf8)).isEmpty)
        #expect(p.feed(Array("\n".utf8)) == [ServerSentEvent(type: "progress", data: "{\"progress\":0.5}")])
    }

    @Test func commentsAreCountedAndNeverDispatched() {
        var p = EventStreamParser()
        #expect(p.feed(Array(": heartbeat\n\n:\n\n: heartbeat\r\n\r\n".utf8)).isEmpty)
        #expect(p.comments == 3)
    }

    @Test func retryTakesOnlyASCIIDigitsAndDispatchesNothing() {
        var p = EventStreamParser()
        #expect(p.feed(Array("retry: 2500\n\n".utf8)).isEmpty)
        #expect(p.retry == 2500)
        #expect(p.feed(Array("retry: 25x0\n\nretry: -1\n\nretry:\n\nretry: +3\n\n".utf8)).isEmpty)
        #expect(p.retry == 2500)
    }

    @Test func anIDWithANulIsIgnoredAndTheLastIDPersistsAcrossEvents() {
        let events = parse("id: 3\ndata: a\n\nid: 4\u{0}x\ndata: b\n\ndata: c\n\n")
        #expect(events.map(\.lastEventID) == ["3", "3", "3"])
    }

    @Test func aLeadingByteOrderMarkIsSkippedOnce() {
        #expect(parse("\u{FEFF}data: x\n\n") == [ServerSentEvent(data: "x")])
        #expect(parse("\u{FEFF}\u{FEFF}data: x\n\n").isEmpty)       // a second BOM makes an unknown field
    }

    @Test func unknownFieldsAndAnEventTypeWithoutDataDispatchNothing() {
        #expect(parse("foo: bar\nevent: status\n\n").isEmpty)
        #expect(parse("event: status\n\ndata: y\n\n") == [ServerSentEvent(data: "y")])    // the type does not carry over
    }

    @Test func garbageNeverCrashesAndEventsAfterItStillParse() {
        var rng = SystemRandomNumberGenerator()
        var p = EventStreamParser()
        for _ in 0..<200 {
            _ = p.feed((0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        #expect(p.feed(Array("\n\ndata: ok\n\n".utf8)).last == ServerSentEvent(data: "ok", lastEventID: p.lastEventID))
    }
}
