import EaselCore
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
    ])
    func escapeSequencesAndControlsAreRemoved(input: String, expected: String) {
        #expect(Sanitize.line(input) == expected)
    }

    @Test func errorMessagesAreSanitized() {
        let e = JobError.inferenceFailed("boom\u{1B}[2J")
        #expect(e.message == "generation failed: boom")
        #expect(JobError.rateLimited(retryAfter: .seconds(40)).message == "rate limited: retry in 40s")
    }
}
