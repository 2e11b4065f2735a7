import EaselTerminal
import EaselUI
import Testing

/// The colour a picture's last cell row is filled with and sixels are erased with is the one the terminal shows
/// under it: in a palette terminal that is the palette entry the theme's background is drawn with (mlterm, in its
/// 8 colours, showed a #fbfaf6 strip below the picture on #e5e5e5 cells).
@Suite("The colour under pictures is the one the terminal draws")
struct PictureBackgroundTests {
    @Test func theLightThemeInEachPaletteSize() throws {
        let light = try Theme.load("light", searchPath: [LightTerminalThemeTests.folder])
        let exact = try #require(light.styles[.text]?.bg.rgb)
        #expect(light.pictureBackground(terminal: nil) == exact)
        #expect(light.pictureBackground(terminal: nil, colors: 8) == RGB(229, 229, 229))     // colour 7
        #expect(light.pictureBackground(terminal: nil, colors: 256) == RGB(255, 255, 255))   // colour 231
        #expect(light.pictureBackground(terminal: RGB(1, 2, 3), colors: 0) == RGB(1, 2, 3))  // no colour: the terminal's
    }
}
