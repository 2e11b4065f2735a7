import EaselTerminal
import EaselUI
import Foundation
import Testing

/// The themes shipped in the repository's `themes/` folder: they parse cleanly, define every role,
/// and stay readable on the background each is made for.
@Suite("Bundled themes")
struct BundledThemesTests {
    /// `Tests/EaselUITests/BundledThemesTests.swift` → the repository root → `themes/`.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("themes")

    /// Every `NAME.toml` in the folder, by name.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
    }()

    static let expected = ["default", "light", "high-contrast", "gruvbox-dark", "nord", "solarized-light", "mono"]

    /// The background each coloured theme is designed for. A new coloured theme must be declared here.
    static let background: [String: Color] = [
        "default": .rgb(0x00, 0x00, 0x00),
        "high-contrast": .rgb(0x00, 0x00, 0x00),
        "gruvbox-dark": .rgb(0x28, 0x28, 0x28),      // Gruvbox bg0
        "nord": .rgb(0x2E, 0x34, 0x40),              // nord0
        "light": .rgb(0xFF, 0xFF, 0xFF),
        "solarized-light": .rgb(0xFD, 0xF6, 0xE3),   // base3
    ]

    static let white = Color.rgb(0xFF, 0xFF, 0xFF)

    func text(_ name: String) throws -> String {
        try String(contentsOf: Self.folder.appendingPathComponent(name + ".toml"), encoding: .utf8)
    }

    func theme(_ name: String) throws -> Theme {
        try Theme(name: name, toml: text(name))
    }

    /// The quoted keys assigned at the top level, before the first table header.
    func explicitKeys(_ toml: String) -> Set<String> {
        var keys: Set<String> = []
        for raw in toml.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { break }
            guard line.hasPrefix("\""), let close = line.dropFirst().firstIndex(of: "\"") else { continue }
            let key = String(line[line.index(after: line.startIndex)..<close])
            if line[line.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("=") { keys.insert(key) }
        }
        return keys
    }

    // MARK: - Every file

    @Test func theFolderHoldsTheSevenBundledThemes() {
        #expect(Self.names.count >= Self.expected.count, "themes/ at \(Self.folder.path)")
        for name in Self.expected {
            #expect(Self.names.contains(name), "missing themes/\(name).toml")
        }
    }

    @Test(arguments: BundledThemesTests.names)
    func parsesWithoutWarningsAndDefinesEveryRole(_ name: String) throws {
        let toml = try text(name)
        let theme = try Theme(name: name, toml: toml)
        #expect(theme.warnings == [], "\(name): \(theme.warnings)")
        let keys = explicitKeys(toml)
        for role in Role.allCases {
            #expect(theme.styles[role] != nil, "\(name): no style for \(role.rawValue)")
            #expect(keys.contains(role.rawValue), "\(name): \(role.rawValue) is not set explicitly")
        }
    }

    @Test(arguments: BundledThemesTests.names)
    func thePlaceholderAndItsPulseDiffer(_ name: String) throws {
        let theme = try theme(name)
        let still = try #require(theme.styles[.placeholder]), pulse = try #require(theme.styles[.placeholderPulse])
        #expect(still != pulse, "\(name): the placeholder would not pulse")
        // Drawn as █ in the foreground colour: reversed, the block would take the background's colour.
        #expect(!still.reverse && !pulse.reverse, "\(name): a reversed █ is invisible")
    }

    @Test func aBadColourIsReportedByKey() throws {
        let theme = try Theme(name: "bad", toml: "\"ui.text\" = \"#zzzzzz\"\n\"ui.border\" = { fg = \"nope\" }\n")
        #expect(theme.warnings.contains { $0.contains("ui.text") && $0.contains("#zzzzzz") }, "\(theme.warnings)")
        #expect(theme.warnings.contains { $0.contains("ui.border") && $0.contains("nope") }, "\(theme.warnings)")
        #expect(theme.styles[.text] == Style())
    }

    // MARK: - Particular themes

    @Test func monoUsesNoColourAndShowsStateThroughModifiers() throws {
        let mono = try theme("mono")
        for role in Role.allCases {
            let style = try #require(mono.styles[role])
            #expect(style.fg == .default && style.bg == .default, "mono: \(role.rawValue) has a colour")
        }
        let s = mono.styles
        #expect(s[.selection]?.reverse == true)
        #expect(s[.statusBar]?.reverse == true)
        #expect(s[.statusKey]?.reverse == true && s[.statusKey]?.bold == true)
        #expect(s[.borderFocused] != s[.border])
        #expect(s[.titleFocused] != s[.title])
        #expect(s[.error]?.bold == true && s[.error] != s[.text])
        #expect(s[.jobFailed]?.bold == true && s[.jobFailed] != s[.jobComplete])
        #expect(s[.placeholder] != s[.placeholderPulse])
    }

    @Test func lightHasDarkTextAndAStatusLineAndSelectionThatStandOutOnWhite() throws {
        let light = try theme("light")
        let text = try #require(light.styles[.text]), status = try #require(light.styles[.statusBar])
        let selection = try #require(light.styles[.selection])
        let textLuminance = try #require(Self.luminance(text.fg)), whiteLuminance = try #require(Self.luminance(Self.white))
        #expect(textLuminance < whiteLuminance)
        #expect(textLuminance < 0.2, "light: body text should be dark, not just off-white")
        #expect(text.fg != status.bg)
        #expect(try #require(Self.contrast(status.bg, Self.white)) >= 3, "light: the status bar blends into white")
        #expect(try #require(Self.contrast(selection.bg, Self.white)) >= 3, "light: the selection blends into white")
    }

    // MARK: - Contrast

    @Test(arguments: BundledThemesTests.names.filter { $0 != "mono" })
    func isReadableOnItsIntendedBackground(_ name: String) throws {
        let bg = try #require(Self.background[name], "\(name): declare its intended background in BundledThemesTests")
        let s = try theme(name).styles
        func ratio(_ role: Role, _ against: Color? = nil, quantized: Bool = false) throws -> Double {
            let style = try #require(s[role])
            let other = against ?? bg
            let fg = quantized ? Self.in256(style.fg) : style.fg, back = quantized ? Self.in256(other) : other
            return try #require(Self.contrast(fg, back), "\(name): \(role.rawValue) needs an explicit colour")
        }
        // Exact colours, and as a 256-colour terminal shows them.
        for quantized in [false, true] {
            let how = quantized ? " (256 colours)" : ""
            #expect(try ratio(.text, quantized: quantized) >= 4.5, "\(name): ui.text\(how)")
            #expect(try ratio(.border, quantized: quantized) >= 3, "\(name): ui.border\(how)")
        }
        #expect(try ratio(.error) >= 3, "\(name): ui.error")
        // The placeholder █ blocks: both phases visible, and visibly different.
        let still = try #require(s[.placeholder]?.fg), pulse = try #require(s[.placeholderPulse]?.fg)
        #expect(try ratio(.placeholder) >= 1.4, "\(name): ui.placeholder vanishes into the background")
        #expect(try ratio(.placeholderPulse) >= 1.4, "\(name): ui.placeholder.pulse vanishes into the background")
        #expect(try #require(Self.contrast(still, pulse)) >= 1.4, "\(name): the pulse is too faint")
        // Text drawn on a fill of the theme's own keeps its contrast.
        for role in [Role.statusBar, .statusKey, .selection, .cursor] {
            let style = try #require(s[role])
            guard style.bg != .default else { continue }
            let needed = style.bold ? 3.0 : 4.5
            #expect(try #require(Self.contrast(style.fg, style.bg)) >= needed, "\(name): \(role.rawValue) fg on its bg")
        }
    }

    // MARK: - Colour arithmetic

    /// The xterm colour of a palette index: 16 system colours, a 6×6×6 cube, a grey ramp.
    static func rgb(index i: Int) -> (Int, Int, Int) {
        let system = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
                      (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
                      (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        if i < 16 { return system[i] }
        if i >= 232 { let v = 8 + (i - 232) * 10; return (v, v, v) }
        let c = i - 16, levels = [0, 95, 135, 175, 215, 255]
        return (levels[c / 36], levels[(c / 6) % 6], levels[c % 6])
    }

    static func rgb(_ c: Color) -> (Int, Int, Int)? {
        switch c {
        case .default: return nil
        case .indexed(let i): return rgb(index: Int(i))
        case .rgb(let r, let g, let b): return (Int(r), Int(g), Int(b))
        }
    }

    /// The colour a 256-colour terminal shows for `c`.
    static func in256(_ c: Color) -> Color {
        let i = c.indexed(limit: 256)
        guard i >= 0 else { return c }
        let (r, g, b) = rgb(index: Int(i))
        return .rgb(UInt8(r), UInt8(g), UInt8(b))
    }

    /// WCAG relative luminance, 0 (black) … 1 (white).
    static func luminance(_ c: Color) -> Double? {
        guard let (r, g, b) = rgb(c) else { return nil }
        func linear(_ v: Int) -> Double {
            let s = Double(v) / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG contrast ratio, 1 … 21; `nil` when either colour is the terminal's default.
    static func contrast(_ a: Color, _ b: Color) -> Double? {
        guard let la = luminance(a), let lb = luminance(b) else { return nil }
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }
}
