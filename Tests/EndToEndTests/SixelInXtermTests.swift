import EaselImaging
import EaselTerminal
import EaselUI
import Foundation
import Testing

/// An X server on a display of its own choosing, and an `xterm -ti vt340` (sixel) in it running one command.
final class XSession {
    let display: String
    private let xvfb: Process
    private var xterm: Process?

    /// Starts `Xvfb -displayfd 1`: the server itself takes the first free display and writes its number to
    /// stdout, so two sessions started at once (or a stale lock file) never race for one display.
    init?() async {
        guard Harness.which("Xvfb"), Harness.which("xterm"), Harness.which("xdotool"), Harness.which("import") else { return nil }
        let out = Pipe()
        xvfb = Process()
        xvfb.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        xvfb.arguments = ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"]
        xvfb.standardError = FileHandle.nullDevice
        xvfb.standardOutput = out
        do { try xvfb.run() } catch { return nil }
        // The display number is written once the server listens; end of file means it exited.
        let reader = out.fileHandleForReading
        let line: String = await withCheckedContinuation { done in
            Thread {
                var bytes = Data()
                while !bytes.contains(UInt8(ascii: "\n")) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    bytes.append(chunk)
                }
                done.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
        guard let n = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            if xvfb.isRunning { kill(xvfb.processIdentifier, SIGKILL) }
            return nil
        }
        display = ":\(n)"
    }

    /// Starts xterm at the screen's top-left: 120×36 cells of the 6×13 `fixed` font, 2-pixel border.
    /// - Parameter metaSendsEscape: xterm's resource; false is xterm's own default (Alt sets the 8th bit).
    /// - Parameter background: xterm's `-bg` (the foreground is the opposite: black on white, else white).
    /// - Parameter resources: more `-xrm` resources (`XTerm*sixelScrolling: false`).
    func startXterm(_ command: String, metaSendsEscape: Bool = true, background: String = "black", resources: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["xterm", "-ti", "vt340", "-geometry", "120x36+0+0", "-fn", "fixed", "-bg", background, "-fg", background == "white" ? "black" : "white",
                       "-xrm", "XTerm*allowWindowOps: true", "-xrm", "XTerm*metaSendsEscape: \(metaSendsEscape)"]
            + resources.flatMap { ["-xrm", $0] } + ["-e", "sh", "-c", command]
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = display
        env["XDG_STATE_HOME"] = Harness.tempDir("state")
        env.removeValue(forKey: "TMUX")
        env.removeValue(forKey: "NO_COLOR")   // the test runner may set it; the xterm is a user's terminal, in colour
        p.environment = env
        try p.run()
        xterm = p
    }

    func xdotool(_ args: String...) { Harness.run(["xdotool"] + args, env: ["DISPLAY": display], capture: false) }

    /// Waits until the studio has drawn its first frame (the prompt box's top border is lit), so typed
    /// keys are not swallowed by the start-up probe.
    func waitForStudio(_ dir: String) async -> Bool {
        await Harness.waitUntil(.seconds(30)) {
            let path = dir + "/probe-shot.png"
            guard screenshot(to: path), let shot = try? Shot(path) else { return false }
            return shot.colours(Rect(x: 1, y: 0, width: 30, height: 1)).lit > 0.02
        }
    }

    func screenshot(to path: String) -> Bool {
        Harness.run(["import", "-window", "root", path], env: ["DISPLAY": display], capture: false).status == 0
    }

    deinit {
        if let xterm, xterm.isRunning { kill(xterm.processIdentifier, SIGKILL) }
        if xvfb.isRunning { kill(xvfb.processIdentifier, SIGKILL) }
    }
}

@Suite("Sixel preview in a real xterm", .serialized)
struct SixelInXtermTests {
    @Test func theFinishedImageIsDrawnInsideThePreviewPane() async throws {
        let x = try #require(await XSession(), "Xvfb, xterm, xdotool or ImageMagick missing (make test installs them)")
        let dir = Harness.tempDir("xterm")
        let gallery = dir + "/gallery"
        try x.startXterm("\(Harness.binary) --gallery \(gallery) --latency 1 --poll-interval 0.3 2> \(dir)/stderr.txt; sleep 30")
        // The studio is up once the screen has content: wait for it, then type like a user.
        #expect(await x.waitForStudio(dir))
        await Harness.pause(0.3)
        x.xdotool("mousemove", "300", "200")
        x.xdotool("type", "--delay", "20", "a red sun over the sea at dusk")
        x.xdotool("key", "Return")
        #expect(await Harness.waitUntil(.seconds(30)) { !Harness.pngs(in: gallery).isEmpty }, "no image was saved")
        // Where the layout puts the picture (Shot measures cells of 6×13 px behind a 2-px border).
        let layout = Layout(size: CellSize(columns: 120, rows: 36))
        let inner = layout.preview.inset(by: 1)
        let picture = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
        // Decode + encode + draw take as long as the machine's load says: look until the picture is lit.
        let shot = try #require(await x.shot(dir + "/shot.png") { $0.colours(picture).distinct >= 40 && $0.colours(picture).lit > 0.5 })
        try? FileManager.default.removeItem(atPath: "/tmp/easel-xterm-shot.png")
        try? FileManager.default.copyItem(atPath: dir + "/shot.png", toPath: "/tmp/easel-xterm-shot.png")
        let colours = shot.colours
        let inPicture = colours(picture)
        let history = layout.history.inset(by: 1)
        let leftPane = colours(Rect(x: history.x, y: history.y + 2, width: history.width, height: history.height - 2))
        #expect(inPicture.distinct >= 40, "the preview pane shows \(inPicture.distinct) colours: no image there")
        #expect(inPicture.lit > 0.5, "only \(Int(inPicture.lit * 100))% of the preview pane is lit")
        #expect(leftPane.distinct <= 8 && leftPane.lit < 0.05, "image pixels outside the preview pane: \(leftPane)")
        x.xdotool("key", "ctrl+c")
    }
}
