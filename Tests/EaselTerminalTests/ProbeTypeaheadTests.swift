import EaselTerminal
import Glibc
import Testing

/// Keys typed while the probe waits, the kitty round's tmux rule, and the Alt-key facts.
@Suite("Probe: typed keys, rounds and Alt")
struct ProbeTypeaheadTests {
    static let esc = "\u{1B}"

    @Test func keysTypedBetweenAndAroundRepliesAreKeptInOrderForTheEditor() {
        let stream = "hel\(Self.esc)P>|XTerm(379)\(Self.esc)\\lo\r\(Self.esc)[A\(Self.esc)[?1036;2$y\(Self.esc)OB"
            + "\(Self.esc)[4;312;480t\(Self.esc)b\(Self.esc)[200~pasted\(Self.esc)[201~\(Self.esc)[?63;1;4c"
        let want = Array("hello\r\(Self.esc)[A\(Self.esc)OB\(Self.esc)b\(Self.esc)[200~pasted\(Self.esc)[201~".utf8)
        let all = Array(stream.utf8)
        for cut in 0...all.count {                                   // every split into two reads
            var caps = TerminalCapabilities()
            var typed: [UInt8] = []
            var buf = Array(all[..<cut])
            ReplyParser.consume(&buf, into: &caps, typed: &typed)
            buf += all[cut...]
            ReplyParser.consume(&buf, into: &caps, typed: &typed)
            #expect(typed == want, "cut at \(cut)")
            #expect(buf.isEmpty && caps.sixel && caps.brand == "XTerm(379)" && caps.metaSendsEscape == false)
            #expect(caps.textAreaPixels == PixelSize(width: 480, height: 312))
        }
    }

    /// Writes `keys` into a fresh pseudo-terminal whose slave end is in `mode` (made from its default,
    /// cooked mode), and returns what a read on the slave end gets.
    func bytesRead(_ keys: String, mode: (termios) -> termios) throws -> [UInt8] {
        // posix_openpt and friends are hidden from Swift's Glibc module: open the multiplexer, unlock, get the number.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        try #require(ioctl(master, 0x4004_5431, &unlock) == 0 && ioctl(master, 0x8004_5430, &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(slave >= 0)
        defer { close(slave) }
        var cooked = termios()
        try #require(tcgetattr(slave, &cooked) == 0)
        try #require(cooked.c_iflag & tcflag_t(ICRNL) != 0, "a new pty starts cooked, with CR→NL")
        var set = mode(cooked)
        try #require(tcsetattr(slave, TCSANOW, &set) == 0)
        let bytes = Array(keys.utf8)
        try #require(write(master, bytes, bytes.count) == bytes.count)
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64)
        while got.count < bytes.count {                       // waits on the bytes, not on a clock
            var pfd = pollfd(fd: slave, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 5_000) > 0 else { break }
            let n = read(slave, &chunk, chunk.count)
            guard n > 0 else { break }
            got += chunk[0..<n]
        }
        return got
    }

    @Test func enterTypedDuringTheProbeReachesTheEditorAsEnterNotAsANewline() throws {
        #expect(try bytesRead("a\r\n", mode: TerminalProbe.probeMode) == [0x61, 0x0D, 0x0A])   // Enter, then C-j
        #expect(try bytesRead("a\r", mode: { $0 }) == [0x61, 0x0A], "the cooked mode maps CR to NL")
    }

    @Test func enterTypedBeforeTheProbeIsGivenBackAsEnter() {
        var cooked = termios()
        cooked.c_iflag = tcflag_t(ICRNL)
        #expect(TerminalProbe.typedBefore(Array("sea\n".utf8), in: cooked) == Array("sea\r".utf8))
        #expect(TerminalProbe.typedBefore(Array("sea\n".utf8), in: termios()) == Array("sea\n".utf8))   // no ICRNL: as read
    }

    @Test func decrqmMetaSendsEscapeIsSetResetOrUnknown() {
        func meta(_ v: Int) -> Bool? {
            var caps = TerminalCapabilities()
            var buf = Array("\(Self.esc)[?1036;\(v)$y".utf8)
            ReplyParser.consume(&buf, into: &caps)
            return caps.metaSendsEscape
        }
        #expect(meta(1) == true && meta(3) == true)
        #expect(meta(2) == false && meta(4) == false)
        #expect(meta(0) == nil)
    }

    @Test func theKittyQueryIsNeverSentToTmuxOrScreen() {
        var answered = TerminalCapabilities(environment: ["TERM": "xterm-256color"])
        answered.answeredDA1 = true
        #expect(TerminalProbe.nextRound(after: 0, answered) == TerminalProbe.query)
        #expect(TerminalProbe.nextRound(after: 1, answered) == TerminalProbe.kittyRound)
        #expect(TerminalProbe.nextRound(after: 2, answered) == nil)
        var tmuxByReply = answered
        tmuxByReply.brand = "tmux 3.3a"                             // ssh from a pane, TERM overridden
        for caps in [tmuxByReply,
                     TerminalCapabilities(environment: ["TMUX": "/tmp/tmux-1/default,1,0"]),
                     TerminalCapabilities(environment: ["TERM": "tmux-256color"]),
                     TerminalCapabilities(environment: ["TERM": "screen.xterm-256color"]),
                     TerminalCapabilities(environment: ["TERM": "xterm", "STY": "1234.pts-0.host"])] {
            var c = caps
            c.answeredDA1 = true
            #expect(TerminalProbe.nextRound(after: 1, c) == nil, "\(c)")
        }
        #expect(TerminalProbe.nextRound(after: 1, TerminalCapabilities()) == nil)   // no DA1: nobody home
    }

    @Test func altIsEightBitInMltermUnlessItReportsMetaSendsEscapeAndXtermIsAskedForEscape() {
        var mlterm = TerminalCapabilities(environment: ["MLTERM": "3.9.0"])
        #expect(mlterm.autoMeta == .highBit && !mlterm.turnOnMetaSendsEscape)
        mlterm.metaSendsEscape = false
        #expect(mlterm.autoMeta == .escapePrefix && mlterm.turnOnMetaSendsEscape)
        var xterm = TerminalCapabilities(environment: ["TERM": "xterm"])
        #expect(xterm.autoMeta == .escapePrefix && !xterm.turnOnMetaSendsEscape)
        xterm.metaSendsEscape = true
        #expect(!xterm.turnOnMetaSendsEscape)
    }
}
