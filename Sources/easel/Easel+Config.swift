import ArgumentParser
import EaselApp
import EaselUI

extension Easel {
    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config", abstract: "Print the default config, or check a config file.")

        @Flag(help: "Print a complete, commented config with every key at its default.")
        var printDefault = false

        @Option(help: "The file to check (default: $XDG_CONFIG_HOME/easel/config.toml).")
        var file: String?

        func run() throws {
            if printDefault {
                print(Config.defaultText, terminator: "")
                return
            }
            let path = file ?? Config.defaultPath()
            let config: Config
            do { config = try Config.load(path, mustExist: true) } catch { throw CLIError(error.message) }
            do { _ = try config.keymap() } catch { throw CLIError("\(path): \(error.message)") }
            do { try config.checkBackends() } catch { throw CLIError(error.message) }
            for warning in config.warnings { print("warning: \(warning)") }
            if let theme = config.theme, theme != "auto" {        // the studio would fall back to mono
                do { _ = try Theme.load(theme) } catch { print("warning: preview.theme: \(error.brief); the studio would use the mono theme") }
            }
            print("\(path): ok")
        }
    }
}

