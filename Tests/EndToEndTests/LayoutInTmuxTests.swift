import EaselTerminal
import EaselUI
import Foundation
import Testing

@Suite("Layouts at real sizes in tmux", .serialized)
struct LayoutInTmuxTests {
    /// Every pane's border is where the layout says, nothing is drawn past a border, lines fit the width.
    func check(_ screen: String, _ size: CellSize) {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let layout = Layout(size: size)
        #expect(lines.allSatisfy { $0.count <= size.columns }, "a line is wider than \(size.columns)")
        func at(_ x: Int, _ y: Int) -> Character { y < lines.count && x < lines[y].count ? lines[y][x] : " " }
        for pane in [layout.prompt, layout.queue, layout.history, layout.preview] where pane.height >= 2 {
            #expect(at(pane.x, pane.y) == "┌" && at(pane.maxX - 1, pane.y) == "┐", "top corners of \(pane) at \(size)")
            #expect(at(pane.x, pane.maxY - 1) == "└" && at(pane.maxX - 1, pane.maxY - 1) == "┘", "bottom corners of \(pane) at \(size)")
            for y in (pane.y + 1)..<(pane.maxY - 1) {
                #expect(at(pane.x, y) == "│" && at(pane.maxX - 1, y) == "│", "side borders of \(pane) on row \(y) at \(size)")
            }
        }
    }

    @Test(arguments: [(60, 15), (80, 24), (120, 36), (300, 80)])
    func panesDoNotOverlapAndTextStaysInsideItsBorders(columns: Int, rows: Int) async throws {
        try #require(Harness.which("tmux"))
        let gallery = Harness.tempDir("layout")
        let tmux = Tmux()
        defer { tmux.kill() }
        #expect(tmux.start("env TERM=tmux-256color \(Harness.binary) --gallery \(gallery) --latency 0.2 --poll-interval 0.2 --probe-timeout 0.2 --graphics none; sleep 30",
                           columns: columns, rows: rows))
        #expect(await Harness.waitUntil(.seconds(20)) { tmux.capture().contains("Prompt") })
        let long = String(repeating: "a very long prompt about a lighthouse on a cliff at dusk ", count: 4)
        tmux.literal(long)
        tmux.keys("Enter")
        #expect(await Harness.waitUntil(.seconds(20)) { Harness.pngs(in: gallery).count == 1 })
        await Harness.pause(0.5)
        check(tmux.capture(), CellSize(columns: columns, rows: rows))
        tmux.keys("Tab", "Tab")                                // history focused: thumbnail and selection
        await Harness.pause(0.5)
        check(tmux.capture(), CellSize(columns: columns, rows: rows))
        tmux.keys("F1")
        var help = ""
        #expect(await Harness.waitUntil(.seconds(10)) { help = tmux.capture(); return help.contains("Esc closes") }, "\(help)")
        #expect(help.split(separator: "\n").allSatisfy { Array($0).count <= columns })
        tmux.keys("C-c")
    }

    @Test func completionScriptsAreGeneratedForBashZshAndFish() {
        for shell in ["bash", "zsh", "fish"] {
            let r = Harness.run([Harness.binary, "--generate-completion-script", shell])
            #expect(r.status == 0 && r.out.contains("generate") && r.out.contains("serve"), "\(shell): \(r.out.prefix(200))")
        }
    }
}
