import EaselCore
import EaselTerminal
import Testing

/// Recorded byte streams, as a terminal sends them, decoded the way `Screen.readEvents` does.
@Suite("Decoding keys and bracketed paste")
struct InputDecoderTests {
    static let start: [UInt8] = Array("\u{1B}[200~".utf8)
    static let end: [UInt8] = Array("\u{1B}[201~".utf8)

    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Decodes `chunks` as separate reads, then flushes as the loop does when nothing more comes.
    func decode(_ chunks: [[UInt8]], meta: InputDecoder.MetaMode = .escapePrefix) -> [InputEvent] {
        var d = InputDecoder(meta: meta)
        return chunks.flatMap { d.decode($0) } + d.flush()
    }

    @Test func aBracketedPasteArrivesWholeWithItsTabsNewlinesAndQs() {
        let events = decode([bytes("a\u{1B}[200~sunset\tquiet\nsea\u{1B}[201~b")])
        #expect(events == [.key(.char("a")), .paste("sunset\tquiet\nsea"), .key(.char("b"))])
    }

    @Test func aPasteSplitAcrossReadsAtEveryPairOfOffsetsIsStillOnePaste() {
        let all = Self.start + bytes("qé") + Self.end + bytes("x")
        for cut in 1..<all.count {
            for second in cut..<all.count {
                var d = InputDecoder()
                let events = d.decode(Array(all[..<cut])) + d.decode(Array(all[cut..<second])) + d.decode(Array(all[second...]))
                #expect(events == [.paste("qé"), .key(.char("x"))], "cuts at \(cut), \(second)")
            }
        }
    }

    /// The reproduction: `A\xffB` pasted, then Enter. The paste ends and Enter is a key.
    @Test func invalidUTF8InAPasteBecomesAReplacementAndThePasteStillEnds() {
        let events = decode([Self.start + [0x41, 0xFF, 0x42] + Self.end + [0x0D]])
        #expect(events == [.paste("A\u{FFFD}B"), .key(.enter)])
    }

    @Test func invalidBytesAtEveryPositionOfAPasteNeverSwallowTheEndMarker() {
        let text = bytes("sea é")
        let invalid: [[UInt8]] = [[0xFF], [0xC0], [0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0xC3]]
        for bad in invalid {
            for p in 0...text.count {
                let pasted = Array(text[..<p]) + bad + Array(text[p...])
                let stream = Self.start + pasted + Self.end + bytes("\u{1B}[A")
                let events = decode([stream])
                #expect(events == [.paste(String(decoding: pasted, as: UTF8.self)), .key(.up)], "\(bad) at \(p)")
                if case .paste(let s)? = events.first { #expect(s.contains("\u{FFFD}")) }
            }
        }
    }

    @Test func anInvalidByteOutsideAPasteIsOneReplacementAndTheNextKeyStillArrives() {
        for bad: [UInt8] in [[0xFF], [0x80], [0xE2, 0x82], [0xC3]] {
            for next in [bytes("a"), [0x0D], [0x1B, 0x5B, 0x42], Self.start + bytes("p") + Self.end] {
                let events = decode([bad + next])
                let want: InputEvent = next == [0x0D] ? .key(.enter) : next.count == 1 ? .key(.char("a"))
                    : next.count == 3 ? .key(.down) : .paste("p")
                #expect(events == [.key(.char("\u{FFFD}")), want], "\(bad) then \(next)")
            }
        }
    }

    /// Lossless: every single byte read on its own becomes exactly one key once no more bytes come.
    @Test func everyByteAloneBecomesExactlyOneKey() {
        for b in UInt8.min...UInt8.max {
            let events = decode([[b]])
            #expect(events.count == 1, "byte \(b)")
            if b >= 0x80 { #expect(events == [.key(.char("\u{FFFD}"))], "byte \(b)") }
        }
    }

    @Test func aCharacterSplitAcrossReadsIsOneCharacter() {
        let all = bytes("é🌅")
        for cut in 1..<all.count {
            #expect(decode([Array(all[..<cut]), Array(all[cut...])]) == [.key(.char("é")), .key(.char("🌅"))], "cut at \(cut)")
        }
    }

    @Test func aLoneEscapeWaitsThenIsEscAndEscapeThenAKeyIsAlt() {
        var d = InputDecoder()
        #expect(d.decode([0x1B]) == [])
        #expect(d.waitsOnLoneEscape)
        #expect(d.flush() == [.key(.escape)])
        #expect(!d.hasIncompleteSequence)
        #expect(decode([bytes("\u{1B}b\u{1B}\r\u{1B}\u{7F}\u{1B}\u{1B}")])
                == [.key(.alt("b")), .key(.altEnter), .key(.alt("\u{7F}")), .key(.escape), .key(.escape)])
        #expect(decode([bytes("\u{1B}[")]) == [.key(.alt("["))])
    }

    @Test func controlKeysAndCursorKeysInNormalAndApplicationMode() {
        #expect(decode([bytes("\u{01}\u{7F}\r\t\u{08}")])
                == [.key(.ctrl("a")), .key(.backspace), .key(.enter), .key(.tab), .key(.ctrl("h"))])
        let keys = "\u{1B}[A\u{1B}OB\u{1B}[1;5C\u{1B}OD\u{1B}[H\u{1B}OF\u{1B}[1~\u{1B}[4~\u{1B}[3~\u{1B}[5~\u{1B}[6~\u{1B}[Z"
        #expect(decode([bytes(keys)]) == [.key(.up), .key(.down), .key(.right), .key(.left), .key(.home), .key(.end),
                                         .key(.home), .key(.end), .key(.delete), .key(.pageUp), .key(.pageDown), .key(.backTab)])
    }

    @Test func functionKeysF1ToF12InTheirXtermAndVT100Forms() {
        let forms = ["\u{1B}OP", "\u{1B}OQ", "\u{1B}OR", "\u{1B}OS", "\u{1B}[15~", "\u{1B}[17~", "\u{1B}[18~", "\u{1B}[19~",
                     "\u{1B}[20~", "\u{1B}[21~", "\u{1B}[23~", "\u{1B}[24~"]
        #expect(decode([bytes(forms.joined())]) == (1...12).map { .key(.function($0)) })
        #expect(decode([bytes("\u{1B}[[A\u{1B}[1;2P")]) == [.key(.function(1)), .key(.function(1))])
    }

    @Test func sgrAndX10MouseReportsBecomeClicksAndWheelAndReleasesAreDropped() {
        let sgr = "\u{1B}[<0;5;3M\u{1B}[<0;5;3m\u{1B}[<64;1;1M\u{1B}[<65;2;2M\u{1B}[<32;9;9M"
        #expect(decode([bytes(sgr)]) == [.mouse(x: 4, y: 2, .left), .mouse(x: 0, y: 0, .wheelUp), .mouse(x: 1, y: 1, .wheelDown)])
        #expect(decode([[0x1B, 0x5B, 0x4D, 32, 33 + 7, 33 + 2], [0x1B, 0x5B, 0x4D, 35, 40, 35]]) == [.mouse(x: 7, y: 2, .left)])
    }

    @Test func focusReportsUnknownSequencesAndAStrayPasteEndAreDroppedWithoutEatingKeys() {
        #expect(decode([bytes("\u{1B}[I\u{1B}[O\u{1B}[201~\u{1B}[2~\u{1B}[?62;4c\u{1B}[99xq")]) == [.key(.char("q"))])
    }

    @Test func highBitMetaReadsLatinOneCharactersAndRawBytesAsAlt() {
        // xterm (UTF-8, eightBitInput): M-s arrives as U+00F3 "ó"; M-Enter as U+008D; a raw 0xF3 byte alone.
        #expect(decode([bytes("ó\u{8D}=")], meta: .highBit) == [.key(.alt("s")), .key(.altEnter), .key(.char("="))])
        #expect(decode([[0xF3]], meta: .highBit) == [.key(.alt("s"))])
        #expect(decode([bytes("\u{1B}s")], meta: .highBit) == [.key(.alt("s"))])
        #expect(decode([Self.start + bytes("ó") + Self.end], meta: .highBit) == [.paste("ó")])
        #expect(decode([bytes("ó")]) == [.key(.char("ó"))])
    }

    @Test func aPasteWhoseEndMarkerNeverComesCanBeEndedAndLaterKeysAreKeys() {
        var d = InputDecoder()
        #expect(d.decode(Self.start + bytes("half a pa") + [0x1B, 0x5B]) == [])
        #expect(d.isPasting && d.flush() == [])                      // a pause is not the end
        #expect(d.endPaste() == [.paste("half a pa\u{1B}[")])
        #expect(d.decode(Self.end + [0x0D]) == [.key(.enter)])       // the late marker is dropped
    }

    @Test func ctrlCAfterAPauseEndsAnUnterminatedPaste() {
        var d = InputDecoder()
        #expect(d.decode(Self.start + bytes("no end marker"), afterSilence: .seconds(5)) == [])
        #expect(d.decode([0x03], afterSilence: .milliseconds(5)) == [])           // inside the burst: pasted
        #expect(d.isPasting)
        let events = d.decode([0x03], afterSilence: .milliseconds(600))         // typed after a pause
        #expect(events == [.paste("no end marker\u{03}"), .key(.ctrl("c"))] && !d.isPasting)
        #expect(d.decode(bytes("x"), afterSilence: .seconds(1)) == [.key(.char("x"))])
    }
}
