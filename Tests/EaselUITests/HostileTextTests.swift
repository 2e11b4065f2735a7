import EaselCore
import EaselTerminal
import EaselUI
import Testing
import TestSupport

/// Text from servers, the journal, files and the config reaches the screen only through cells, and
/// `CellBuffer.put` sanitizes everything it writes: no ESC, CSI, OSC, C0/C1 or bidi override survives.
@Suite("Hostile text never reaches a cell")
struct HostileTextTests {
    static let hostile = "boom\u{1B}[2J\u{1B}]0;pwned\u{07}\u{1B}]52;c;ZXZpbA==\u{1B}\\\u{9B}31m\u{90}q#0\u{9C}\u{202E}gnp.exe\u{2066}x\u{2069}\u{7F}\u{0}"

    static func isHarmful(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || (0x202A...0x202E).contains(s.value)
            || (0x2066...0x2069).contains(s.value) || s.value == 0x200E || s.value == 0x200F
    }

    func expectClean(_ buffer: CellBuffer, sourceLocation: SourceLocation = #_sourceLocation) {
        var bad: [String] = []
        for y in 0..<buffer.height {
            for x in 0..<buffer.width where buffer[x, y].text.unicodeScalars.contains(where: Self.isHarmful) {
                bad.append("(\(x),\(y))")
            }
        }
        #expect(bad.isEmpty, "cells with controls: \(bad.prefix(10))", sourceLocation: sourceLocation)
        let all = buffer.lines.joined()
        #expect(!all.contains("pwned") && !all.contains("ZXZpbA=="), "an OSC payload is on screen", sourceLocation: sourceLocation)
    }

    @Test func putDropsEscapeSequencesControlsAndBidiOverrides() {
        var buffer = CellBuffer(width: 60, height: 1)
        buffer.put(Self.hostile, x: 0, y: 0, role: .text)
        expectClean(buffer)
        #expect(buffer.lines[0].hasPrefix("boom"))
        #expect(buffer.lines[0].contains("gnp.exe"))
    }

    @Test func aJournalJobWithHostilePromptAndErrorRendersClean() {
        var s = AppState.fixture(prompt: "typed \u{1B}[31m")
        s.backendName = "evil\u{1B}]0;title\u{07} backend"
        let failed = Job(id: JobID(7), request: .fixture(prompt: "restored " + Self.hostile), state: .failed(.inferenceFailed(Self.hostile)),
                         remoteID: RemoteJobID("r\u{1B}[2J"), createdAt: t0, finishedAt: t0, createdWallTime: 1_000)
        let done = Job(id: JobID(8), request: .fixture(prompt: Self.hostile), state: .complete(SavedImage(path: "/g/\u{1B}[2J\u{202E}x.png", width: 8, height: 8)),
                   createdAt: t0, finishedAt: t0, createdWallTime: 1_001)
        #expect(reduce(&s, .restored([failed, done])) == [])
        #expect(reduce(&s, .notice("notice " + Self.hostile)) == [])
        for (w, h) in [(120, 36), (80, 24), (60, 20)] {
            let frame = render(s, size: CellSize(columns: w, rows: h), cell: PixelSize(width: 10, height: 20), previewStatus: { _ in .unavailable })
            expectClean(frame.buffer)
        }
    }
}
