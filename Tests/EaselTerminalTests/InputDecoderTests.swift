import EaselCore
import EaselTerminal
import Testing

@Suite("Decoding keys and bracketed paste")
struct InputDecoderTests {
    func raw(_ s: String) -> [InputDecoder.Raw] { s.unicodeScalars.map { .scalar($0.value) } }

    @Test func aBracketedPasteArrivesWholeWithItsTabsNewlinesAndQs() {
        var d = InputDecoder()
        let events = d.decode(raw("a\u{1B}[200~sunset\tquiet\nsea\u{1B}[201~b"))
        #expect(events == [.key(.char("a")), .paste("sunset\tquiet\nsea"), .key(.char("b"))])
    }

    /// A lone ESC at the end of a read is the Esc key (curses already waited ESCDELAY for more),
    /// so the cuts start after the first two bytes of the marker.
    @Test func aPasteSplitAcrossReadsAtEveryOffsetIsStillOnePaste() {
        let all = raw("\u{1B}[200~q\u{1B}[201~x")
        for cut in 2..<all.count {
            var d = InputDecoder()
            let events = d.decode(Array(all[..<cut])) + d.decode(Array(all[cut...]))
            #expect(events == [.paste("q"), .key(.char("x"))], "cut at \(cut)")
        }
    }

    @Test func escapeThenAKeyIsAlt() {
        var d = InputDecoder()
        #expect(d.decode(raw("\u{1B}b\u{1B}\r\u{1B}")) == [.key(.alt("b")), .key(.altEnter), .key(.escape)])
    }

    @Test func controlKeysAndCursesFunctionKeys() {
        var d = InputDecoder()
        #expect(d.decode(raw("\u{01}\u{7F}\r\t")) == [.key(.ctrl("a")), .key(.backspace), .key(.enter), .key(.tab)])
        #expect(d.decode([.function(259), .function(410), .function(265)]) == [.key(.up), .resized, .key(.function(1))])
    }
}
