import EaselCore
import EaselTerminal
import Foundation

/// What to do when a job ends.
public enum NotifyMode: String, CaseIterable, Sendable {
    /// The bell, plus OSC 9 / OSC 777 desktop notifications where the terminal supports them.
    case on
    /// Only the bell (also what tmux's activity and bell monitoring see, across SSH).
    case bell
    case off
}

/// Builds the bytes that announce a finished job: BEL always (unless off), OSC 9 for terminals known
/// to show it (iTerm2, WezTerm, kitty, foot, Ghostty), OSC 777 for VTE-based ones and foot/urxvt.
/// Text is sanitized and kept short.
public struct Notifier: Sendable {
    public let mode: NotifyMode
    let osc9: Bool
    let osc777: Bool

    public init(mode: NotifyMode, caps: TerminalCapabilities, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.mode = mode
        let brand = (caps.brand ?? "").lowercased(), program = (caps.termProgram ?? "").lowercased()
        let inTmux = caps.inTmux
        osc9 = !inTmux && (["iterm.app", "wezterm", "ghostty"].contains(program) || caps.kittyWindow
            || ["iterm2", "wezterm", "kitty", "foot", "ghostty"].contains { brand.hasPrefix($0) })
        osc777 = !inTmux && (environment["VTE_VERSION"] != nil || brand.hasPrefix("foot") || (caps.term ?? "").hasPrefix("rxvt"))
    }

    /// OSC 8 hyperlinks: terminals known to show them (kitty, iTerm2, WezTerm, foot, Ghostty, VTE,
    /// Windows Terminal); elsewhere the plain text is left alone.
    public static func supportsHyperlinks(_ caps: TerminalCapabilities,
                                          environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard !caps.inTmux else { return false }
        let brand = (caps.brand ?? "").lowercased(), program = (caps.termProgram ?? "").lowercased()
        return caps.kittyGraphics || caps.kittyWindow || environment["VTE_VERSION"] != nil || environment["WT_SESSION"] != nil
            || ["iterm.app", "wezterm", "ghostty"].contains(program)
            || ["iterm2", "wezterm", "kitty", "foot", "ghostty"].contains { brand.hasPrefix($0) }
    }

    public func sequence(for job: Job) -> [UInt8] {
        guard mode != .off else { return [] }
        var out: [UInt8] = [0x07]
        guard mode == .on else { return out }
        let what: String
        switch job.state {
        case .complete: what = "done"
        case .failed(let e): what = e.message
        default: what = job.state.label
        }
        let body = String(Sanitize.line("\(what): \(job.request.prompt)").replacingOccurrences(of: ";", with: ",").prefix(120))
        if osc9 { out += Array("\u{1B}]9;Easel \(body)\u{07}".utf8) }
        if osc777 { out += Array("\u{1B}]777;notify;Easel;\(body)\u{07}".utf8) }
        return out
    }
}
