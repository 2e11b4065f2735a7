import ArgumentParser
import EaselApp
import EaselTerminal
import EaselUI

/// Picture options shared by the TUI and `easel show`; each overrides the config file's `[preview]` key.
struct PreviewOptions: ParsableArguments {
    @Option(help: "Image protocol: auto, sixel, kitty, iterm, blocks or none (config: preview.graphics).")
    var graphics: GraphicsChoice?

    @Option(help: "Sixel palette size, 2...256; fewer colours for slow links (config: preview.sixel_colors; default 256).")
    var sixelColors: Int?

    @Option(help: "Seconds to wait for the terminal's answers at start-up (config: preview.probe_timeout; default 1).")
    var probeTimeout: Double?

    @Option(help: "Config file (default: $XDG_CONFIG_HOME/easel/config.toml).")
    var config: String?

    func validate() throws {
        if let sixelColors, !(2...256).contains(sixelColors) { throw ValidationError("--sixel-colors must be within 2...256") }
        if let probeTimeout, !(0...30).contains(probeTimeout) { throw ValidationError("--probe-timeout must be within 0...30 seconds") }
    }

    func loadConfig() throws -> Config { try loadConfigFile(config) }
}

extension GraphicsChoice: ExpressibleByArgument {}
