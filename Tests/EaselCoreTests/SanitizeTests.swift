import EaselCore
import Foundation
import Testing

@Suite("Sanitizing text from servers and files")
struct SanitizeTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("red \u{1B}[31mtext\u{1B}[0m", "red text"),
        ("title\u{1B}]0;pwned\u{07}!", "title!"),
        ("osc st \u{1B}]8;;http://x\u{1B}\\link", "osc st link"),
        ("dcs \u{1B}Pq#0;2;0;0;0\u{1B}\\done", "dcs done"),
        ("c1 csi \u{9B}2Jgone", "c1 csi gone"),
        ("bell\u{07} and nul\u{0} and del\u{7F}", "bell and nul and del"),
        ("tab\tnew\nline", "tab new line"),
        ("日本語 ✓", "日本語 ✓"),
        ("unterminated \u{1B}]0;title", "unterminated "),
        ("osc 52 \u{1B}]52;c;ZXZpbA==\u{07}clipboard", "osc 52 clipboard"),
        ("c1 osc \u{9D}0;title\u{9C}after", "c1 osc after"),
        ("c1 dcs \u{90}q#0\u{9C}after", "c1 dcs after"),
        ("c1 index \u{84}and nel \u{85}", "c1 index and nel "),
        ("keypad \u{1B}=mode \u{1B}(0charset", "keypad mode charset"),
        ("csi private \u{1B}[?1049h\u{1B}[?25l screen", "csi private  screen"),
        ("rlo \u{202E}gnp.exe", "rlo gnp.exe"),
        ("lri \u{2066}isolate\u{2069} pdi", "lri isolate pdi"),
        ("embeddings \u{202A}\u{202B}\u{202C}\u{202D} marks \u{200E}\u{200F}\u{061C}", "embeddings  marks "),
        ("line\u{2028}separator", "line separator"),
    ])
    func escapeSequencesAndControlsAreRemoved(input: String, expected: String) {
        #expect(Sanitize.line(input) == expected)
    }

    @Test func jsonKeepsItsMeaningButLosesC1AndBidiControls() throws {
        let text = "a\u{9B}2J b\u{202E}c d\u{2028}e \u{7F}"
        let encoded = String(decoding: try JSONEncoder().encode(["k": text]), as: UTF8.self)
        let safe = Sanitize.json(encoded)
        #expect(safe == #"{"k":"a\u009b2J b\u202ec d\u2028e \u007f"}"#)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(safe.utf8)) == ["k": text])
    }

    @Test func errorMessagesAreSanitized() {
        let e = JobError.inferenceFailed("boom\u{1B}[2J")
        #expect(e.message == "generation failed: boom")
        #expect(JobError.rateLimited(retryAfter: .seconds(40)).message == "rate limited: retry in 40s")
    }
}
