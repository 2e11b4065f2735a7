@testable import EaselCore
import Testing

/// `Sanitize.line` returns clean text untouched after a byte scan; the scan must never let through
/// a scalar the long way would drop or change.
@Suite("Sanitize fast path")
struct SanitizeFastPathTests {
    @Test func everyScalarUpToU3000TheScanPassesComesBackUnchangedTheLongWay() {
        var passed = 0
        for v in 0..<0x3000 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            for text in ["\(scalar)", "a\(scalar)b", "·\(scalar)"] where Sanitize.isPrintableLine(text) {
                passed += 1
                #expect(Sanitize.rebuiltLine(text) == text, "U+\(String(v, radix: 16)) passed the scan but is changed")
            }
        }
        #expect(passed > 3 * 0x2F00)                 // nearly everything is printable
    }

    @Test(arguments: ["\u{1B}[31m", "\u{85}", "\u{9B}", "\u{7F}", "\t", "\u{202E}", "\u{2066}", "\u{200F}", "\u{061C}", "\u{2029}"])
    func theScanRefusesEachKindOfControl(_ control: String) {
        #expect(!Sanitize.isPrintableLine("safe " + control + " text"))
        #expect(Sanitize.line("safe " + control) != "safe " + control)
    }

    @Test func cleanTextIsTheSameStringAndHostileTextIsStillCleaned() {
        #expect(Sanitize.line("a lighthouse · 768×768 · ✓ 日本語") == "a lighthouse · 768×768 · ✓ 日本語")
        #expect(Sanitize.line("ok\u{1B}]0;pwned\u{07}!") == "ok!")
    }
}
