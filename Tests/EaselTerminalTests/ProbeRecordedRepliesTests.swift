import EaselTerminal
import Testing

/// Reply bytes recorded from real terminals (reference terminal-graphics.md §2.2; kitty per §5.1).
enum RecordedReplies {
    static let esc = "\u{1B}"
    static let st = "\u{1B}\\"
    static let xtermVT340 = "\(esc)P>|XTerm(379)\(st)\(esc)[?1;0;1024S\(esc)[?2;0;480;312S\(esc)[?63;1;2;4;6;9;15;16;22;28c"
    static let xtermVT420 = "\(esc)P>|XTerm(379)\(st)\(esc)[?1;3S\(esc)[?2;3S\(esc)[?64;1;2;6;9;15;16;17;18;21;22;28c"
    static let mlterm = "\(esc)[?1;0;1024S\(esc)[?1;3;0S\(esc)[4;456;800t\(esc)[6;19;10t\(esc)[?63;1;2;3;4;6;7;15;18;22;29c"
    static let kitty = "\(esc)P>|kitty(0.35.2)\(st)\(esc)_Gi=31;OK\(st)\(esc)[4;912;1600t\(esc)[6;19;10t\(esc)[?62;c"
    static let tmux33a = "\(esc)[?1;2c"
}

/// Recorded replies fed through `ReplyParser.consume` the way `TerminalProbe.run` does.
@Suite("Recorded terminal replies")
struct ProbeRecordedRepliesTests {
    static let esc = RecordedReplies.esc
    static let st = RecordedReplies.st

    /// Parses `s` in one read, as the probe would.
    func parse(_ s: String, environment: [String: String] = [:]) -> (caps: TerminalCapabilities, rest: [UInt8]) {
        var caps = TerminalCapabilities(environment: environment)
        var buf = Array(s.utf8)
        ReplyParser.consume(&buf, into: &caps)
        return (caps, buf)
    }

    @Test func xtermVT340GivesBrandSixelRegistersAndGeometry() {
        let (caps, rest) = parse(RecordedReplies.xtermVT340)
        #expect(caps.brand == "XTerm(379)")
        #expect(caps.colorRegisters == 1024)
        #expect(caps.sixelMaxSize == PixelSize(width: 480, height: 312))
        #expect(caps.da1 == [1, 2, 4, 6, 9, 15, 16, 22, 28] && caps.answeredDA1)
        #expect(caps.sixel && !caps.kittyGraphics)
        #expect(caps.bestProtocol == "sixel")
        #expect(rest.isEmpty)
    }

    @Test func xtermVT420AnswersWithoutSixelAndItsGraphicsQueriesFail() {
        let (caps, rest) = parse(RecordedReplies.xtermVT420)
        #expect(caps.answeredDA1 && !caps.sixel)
        #expect(caps.colorRegisters == nil && caps.sixelMaxSize == nil)
        #expect(caps.bestProtocol == "blocks")
        #expect(rest.isEmpty)
    }

    @Test func mltermGivesSixelAndWindowPixelsButNoGeometryForItsWrongPi() {
        let (caps, _) = parse(RecordedReplies.mlterm)
        #expect(caps.sixel)
        #expect(caps.colorRegisters == 1024)
        #expect(caps.sixelMaxSize == nil)
        #expect(caps.textAreaPixels == PixelSize(width: 800, height: 456))
        #expect(caps.cellPixelsReported == PixelSize(width: 10, height: 19))
        #expect(caps.brand == nil)
        #expect(caps.bestProtocol == "sixel")
    }

    @Test func kittyAnswersTheGraphicsQueryAndIsChosenOverEverythingElse() {
        let (caps, rest) = parse(RecordedReplies.kitty, environment: ["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"])
        #expect(caps.brand == "kitty(0.35.2)")
        #expect(caps.kittyGraphics)
        #expect(!caps.sixel && caps.answeredDA1)
        #expect(caps.term == "xterm-kitty" && caps.kittyWindow)
        #expect(caps.bestProtocol == "kitty")
        #expect(rest.isEmpty)
    }

    @Test func aKittyErrorOrAnotherIDIsNotSupport() {
        #expect(!parse("\(Self.esc)_Gi=31;EINVAL:bad\(Self.st)\(Self.esc)[?62;c").caps.kittyGraphics)
        #expect(!parse("\(Self.esc)_Gi=7;OK\(Self.st)\(Self.esc)[?62;c").caps.kittyGraphics)
        #expect(!parse("\(Self.esc)_Xi=31;OK\(Self.st)\(Self.esc)[?62;c").caps.kittyGraphics)
    }

    @Test func tmuxWithoutSixelFallsBackToBlocks() {
        let (caps, _) = parse(RecordedReplies.tmux33a, environment: ["TMUX": "/tmp/tmux-1000/default,123,0", "TERM": "tmux-256color"])
        #expect(caps.inTmux && caps.answeredDA1 && !caps.sixel)
        #expect(caps.bestProtocol == "blocks")
    }

    @Test func tmuxAdvertisingSixelIsNotTrustedBecauseTheOuterTerminalIsUnknown() {
        let inside = parse("\(Self.esc)P>|tmux 3.4\(Self.st)\(Self.esc)[?1;2;4c", environment: ["TMUX": "/tmp/t,1,0"])
        #expect(inside.caps.sixel && inside.caps.brand == "tmux 3.4")
        #expect(inside.caps.bestProtocol == "blocks")
        let byBrandOnly = parse("\(Self.esc)P>|tmux 3.4\(Self.st)\(Self.esc)[?1;2;4c")
        #expect(!byBrandOnly.caps.inTmux && byBrandOnly.caps.inMultiplexer)
        #expect(byBrandOnly.caps.bestProtocol == "blocks")
    }

    @Test func iTerm2ProtocolBrandsComeFromTermProgramOrXTVersion() {
        #expect(parse("\(Self.esc)[?62;4c", environment: ["TERM_PROGRAM": "iTerm.app"]).caps.bestProtocol == "iterm")
        #expect(parse("\(Self.esc)[?62;4c", environment: ["TERM_PROGRAM": "WezTerm"]).caps.bestProtocol == "iterm")
        #expect(parse("\(Self.esc)P>|WezTerm 20240203\(Self.st)\(Self.esc)[?65;4;6;18;22c").caps.bestProtocol == "iterm")
        #expect(parse("\(Self.esc)P>|iTerm2 3.5.0\(Self.st)\(Self.esc)[?62;4c").caps.bestProtocol == "iterm")
        #expect(parse("\(Self.esc)[?62;4c", environment: ["TERM_PROGRAM": "Apple_Terminal"]).caps.bestProtocol == "sixel")
    }

    @Test func noReplyAtAllMeansBlocks() {
        let (caps, rest) = parse("")
        #expect(!caps.answeredDA1 && !caps.kittyGraphics && caps.brand == nil)
        #expect(caps.bestProtocol == "blocks")
        #expect(rest.isEmpty)
    }

    @Test func environmentFactsIgnoreEmptyValues() {
        let caps = TerminalCapabilities(environment: ["TMUX": "", "TERM": "", "TERM_PROGRAM": "", "KITTY_WINDOW_ID": ""])
        #expect(!caps.inTmux && caps.term == nil && caps.termProgram == nil && !caps.kittyWindow)
        let set = TerminalCapabilities(environment: ["TMUX": "x", "TERM": "xterm", "TERM_PROGRAM": "vscode", "KITTY_WINDOW_ID": "3"])
        #expect(set.inTmux && set.term == "xterm" && set.termProgram == "vscode" && set.kittyWindow)
    }

    @Test(arguments: [RecordedReplies.xtermVT340, RecordedReplies.xtermVT420, RecordedReplies.mlterm,
                     RecordedReplies.kitty, RecordedReplies.tmux33a])
    func repliesSplitAcrossTwoReadsAtEveryOffsetParseTheSame(recording: String) {
        let bytes = Array(recording.utf8)
        let whole = parse(recording).caps
        for cut in 0...bytes.count {
            var caps = TerminalCapabilities()
            var buf = Array(bytes[..<cut])
            ReplyParser.consume(&buf, into: &caps)
            if cut < bytes.count { #expect(!caps.answeredDA1, "DA1 is last, so it cannot be complete after \(cut) bytes") }
            buf += bytes[cut...]
            ReplyParser.consume(&buf, into: &caps)
            #expect(caps == whole, "split at byte \(cut)")
            #expect(buf.isEmpty, "split at byte \(cut)")
        }
    }

    @Test func anIncompleteStringStaysBufferedUntilItsTerminatorArrives() {
        var caps = TerminalCapabilities()
        let parts = ["\(Self.esc)P>|XTerm(3", "79)\(Self.esc)", "\\\(Self.esc)_Gi=31;O", "K\(Self.st)"].map { Array($0.utf8) }
        var buf = parts[0]
        ReplyParser.consume(&buf, into: &caps)
        #expect(caps.brand == nil && buf == parts[0])
        buf += parts[1]
        ReplyParser.consume(&buf, into: &caps)
        #expect(caps.brand == nil && buf == parts[0] + parts[1], "a final ESC may be the start of ST")
        buf += parts[2]
        ReplyParser.consume(&buf, into: &caps)
        #expect(caps.brand == "XTerm(379)" && !caps.kittyGraphics)
        #expect(buf == Array("\(Self.esc)_Gi=31;O".utf8))
        buf += parts[3]
        ReplyParser.consume(&buf, into: &caps)
        #expect(caps.kittyGraphics && buf.isEmpty)
    }

    @Test func garbageAndForeignStringsAroundRepliesAreSkippedWhole() {
        let noisy = "junk\u{7}\(Self.esc)]11;rgb:0000/0000/0000\u{7}\(Self.esc)]10;rgb:ffff/ffff/ffff\(Self.st)"
            + "\(Self.esc)P1$r0m\(Self.st)\(Self.esc)_Gi=99;c\(Self.esc)[?63;1;4c\(Self.st)"   // an OSC, a DECRQSS, an APC with ESC[ inside
            + "\(Self.esc)^private\(Self.st)\(Self.esc)[>1;10;0c\(Self.esc)[?2026;2$y\(Self.esc)7"
            + RecordedReplies.xtermVT340 + "tail"
        let (caps, rest) = parse(noisy)
        #expect(caps.brand == "XTerm(379)")
        #expect(caps.da1 == [1, 2, 4, 6, 9, 15, 16, 22, 28])
        #expect(caps.colorRegisters == 1024 && caps.sixelMaxSize == PixelSize(width: 480, height: 312))
        #expect(!caps.kittyGraphics)
        #expect(rest.isEmpty)
    }

    @Test func anUnterminatedStringDoesNotSwallowTheDA1ReplyAfterIt() {
        let (caps, _) = parse("\(Self.esc)P>|broken-no-terminator\(Self.esc)[?63;4c")
        #expect(caps.answeredDA1 && caps.sixel)
        #expect(caps.brand == nil)
        var buf = Array("\(Self.esc)]11;".utf8) + [UInt8](repeating: 0x41, count: ReplyParser.maxStringLength + 10)
        var capped = TerminalCapabilities()
        ReplyParser.consume(&buf, into: &capped)
        #expect(buf.isEmpty)
    }

    @Test func theBrandKeepsOnlyPrintableASCIIUpTo64Characters() {
        let hostile = "\(Self.esc)P>|Evil\u{7}\u{8}Term\u{9B}31m(1)é" + String(repeating: "x", count: 100) + Self.st
        let brand = parse(hostile).caps.brand
        #expect(brand?.hasPrefix("EvilTerm31m(1)xx") == true)
        #expect(brand?.count == 64)
        #expect(brand?.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) } == true)
        #expect(parse("\(Self.esc)P>|\(Self.st)").caps.brand == nil)
    }

    @Test func theFirstRoundAsksXTVersionFirstAndDA1LastAndHasNoAPCString() {
        let q = String(decoding: TerminalProbe.query, as: UTF8.self)
        #expect(q.hasPrefix("\(Self.esc)[>q\(Self.esc)[?1036$p"))
        #expect(q.hasSuffix("\(Self.esc)[14t\(Self.esc)[16t\(Self.esc)[c"))
        #expect(q.contains("\(Self.esc)[?1;1;0S\(Self.esc)[?2;1;0S"))
        #expect(!q.contains("\(Self.esc)_"))                 // tmux would take an APC string as the pane title
        let k = String(decoding: TerminalProbe.kittyRound, as: UTF8.self)
        #expect(k == "\(Self.esc)_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\(Self.st)\(Self.esc)[c")
    }
}
