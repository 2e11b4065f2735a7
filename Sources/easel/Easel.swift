import ArgumentParser

/// The `easel` command. Each subcommand has its own file (`Easel+Generate.swift`, …); the options
/// they share are `@OptionGroup`s (`ClientOptions`, `ParameterOptions`, `QueueOptions`,
/// `PreviewOptions`); what they do that tests should reach lives in `EaselApp`.
@main
struct Easel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easel",
        abstract: "A full-screen terminal studio for text-to-image generation.",
        discussion: """
        Backends are named in the config file ([backends.NAME]: ComfyUI, AUTOMATIC1111/Forge, sd-server, \
        OpenAI-compatible, Replicate, fal; see `easel backends`) and picked with --backend NAME. With none, \
        Easel starts its embedded demo backend on 127.0.0.1: the reference job server with an offline \
        procedural generator (a demo, not a neural model).
        """,
        version: "0.1.0",
        subcommands: [Studio.self, Generate.self, Serve.self, Show.self, History.self, Backends.self, Themes.self, ConfigCommand.self],
        defaultSubcommand: Studio.self
    )
}
