import EaselTerminal
import Testing

@Suite("Parsing terminal replies")
struct ProbeTests {
    func parse(_ s: String) -> (TerminalCapabilities, [UInt8]) {
        var caps = TerminalCapabilities()
        var buf = Array(s.utf8)
        ReplyParser.consume(&buf, into: &caps)
        return (caps, buf)
    }

    @Test func xtermVT340RepliesGiveSixelRegistersAndGeometry() {
        let (caps, rest) = parse("\u{1B}[?1;0;1024S\u{1B}[?2;0;480;312S\u{1B}[?63;1;2;4;6;9;15;16;22;28c")
        #expect(caps.sixel && caps.answeredDA1)
        #expect(caps.colorRegisters == 1024)
        #expect(caps.sixelMaxSize == PixelSize(width: 480, height: 312))
        #expect(rest.isEmpty)
    }

    @Test func attribute42IsNotSixel() {
        #expect(!parse("\u{1B}[?62;42;22c").0.sixel)
        #expect(!parse("\u{1B}[?1;2c").0.sixel)            // tmux 3.3a
    }

    @Test func windowOpsRepliesAreHeightFirst() {
        let (caps, _) = parse("\u{1B}[4;312;480t\u{1B}[6;13;6t\u{1B}[?1;2;4c")
        #expect(caps.textAreaPixels == PixelSize(width: 480, height: 312))
        #expect(caps.cellPixelsReported == PixelSize(width: 6, height: 13))
    }

    @Test func garbageBeforeBetweenAndInsideIsSkipped() {
        let (caps, _) = parse("xx\u{1B}P>|XTerm(379)\u{1B}\\garbage\u{1B}]11;rgb:0/0/0\u{07}\u{1B}[?63;4c")
        #expect(caps.sixel)
        #expect(!parse("only garbage \u{7}\u{1B}").0.answeredDA1)
    }

    @Test func anIncompleteReplyWaitsForMoreBytes() {
        var caps = TerminalCapabilities()
        var buf = Array("\u{1B}[?63;1;".utf8)
        ReplyParser.consume(&buf, into: &caps)
        #expect(!caps.answeredDA1 && !buf.isEmpty)
        buf += Array("4c".utf8)
        ReplyParser.consume(&buf, into: &caps)
        #expect(caps.sixel)
    }

    @Test func cellSizePrefersPlausibleWindowPixelsThenReportsThenTenByTwenty() {
        var caps = TerminalCapabilities()
        caps.windowCells = CellSize(columns: 80, rows: 24)
        caps.windowPixels = PixelSize(width: 484, height: 316)
        #expect(caps.cellPixels == PixelSize(width: 6, height: 13))
        caps.windowPixels = PixelSize(width: 0, height: 0)
        caps.cellPixelsReported = PixelSize(width: 9, height: 18)
        #expect(caps.cellPixels == PixelSize(width: 9, height: 18))
        caps.cellPixelsReported = nil
        caps.sixelMaxSize = PixelSize(width: 480, height: 312)
        #expect(caps.cellPixels == PixelSize(width: 6, height: 13))
        caps.sixelMaxSize = nil
        #expect(caps.cellPixels == PixelSize(width: 10, height: 20))
    }
}
