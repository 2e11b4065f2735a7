import EaselTerminal
import EaselUI
import Foundation
import Testing

/// Issue 16, item 11: a theme that suits the terminal's background, every theme painting its own background,
/// and a pulsing placeholder that can be seen in 8, 16 and 256 colours and with `NO_COLOR`.
@Suite("Light terminals and the placeholder")
struct LightTerminalThemeTests {
    static let folder = BundledThemesTests.folder.path
    static let coloured = BundledThemesTests.names.filter { $0 != "mono" }

    @Test func theDefaultFollowsTheTerminalsBackground() {
        #expect(Theme.defaultName(lightBackground: true) == "light")
        #expect(Theme.defaultName(lightBackground: false) == "default")
        #expect(Theme.defaultName(lightBackground: nil) == "default")
    }

    @Test(arguments: LightTerminalThemeTests.coloured)
    func everyColouredThemePaintsEveryCellsBackground(_ name: String) throws {
        let theme = try Theme.load(name, searchPath: [Self.folder])
        for role in Role.allCases {
            #expect(theme.styles[role]?.bg != .default, "\(name): \(role.rawValue) leaves the terminal's background")
        }
        #expect(theme.pictureBackground(terminal: RGB(1, 2, 3)) != RGB(1, 2, 3), "\(name): pictures erased with the terminal's colour")
    }

    /// The placeholder's two shades, as the terminal draws them: each differs from the background under it,
    /// and from each other, in every palette size.
    @Test(arguments: LightTerminalThemeTests.coloured)
    func thePlaceholderPulsesVisiblyIn8And16And256Colours(_ name: String) throws {
        let theme = try Theme.load(name, searchPath: [Self.folder])
        for colors in [8, 16, 256] {
            let p = paletteIndices(theme.styles, colors: colors)
            let block = try #require(p[.placeholder]), pulse = try #require(p[.placeholderPulse])
            #expect(block.fg != block.bg, "\(name) at \(colors) colours: the placeholder is the background's colour")
            #expect(pulse.fg != pulse.bg, "\(name) at \(colors) colours: the pulse is the background's colour")
            #expect(block.fg != pulse.fg, "\(name) at \(colors) colours: the placeholder does not pulse")
        }
    }

    /// `NO_COLOR` draws with the mono theme: the block is the terminal's own foreground (█ on its background),
    /// and the pulse is dim, never reversed into the background.
    @Test func thePlaceholderIsVisibleWithoutColour() {
        let block = Theme.mono.styles[.placeholder]!, pulse = Theme.mono.styles[.placeholderPulse]!
        #expect(block.fg == .default && block.bg == .default && !block.reverse)
        #expect(pulse != block && !pulse.reverse)
    }
}
