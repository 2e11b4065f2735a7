import ArgumentParser
import EaselCore

/// Generation parameters shared by the TUI (initial values) and `easel generate`.
/// The numbers parse `.unconditional`ly, so `--steps -1` reaches validation ("must be within …") instead of
/// reading as a missing value followed by an unknown option.
struct ParameterOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed (0...4294967295); random per job when omitted.")
    var seed: UInt32?

    @Option(parsing: .unconditional, help: "Width in pixels (\(Limits.text(Limits.size))).")
    var width: Int = 768

    @Option(parsing: .unconditional, help: "Height in pixels (\(Limits.text(Limits.size))).")
    var height: Int = 768

    @Option(parsing: .unconditional, help: "Sampling steps (\(Limits.text(Limits.steps))).")
    var steps: Int = 30

    @Option(name: .customLong("negative"), help: "Negative prompt: what to avoid.")
    var negativePrompt: String = ""

    @Option(parsing: .unconditional, help: "Images per prompt (a batch; a fixed --seed s gives s, s+1, …).")
    var count: Int = 1

    func validate() throws {
        let sizes = Limits.size
        guard sizes.contains(width), sizes.contains(height) else {
            throw ValidationError("--width and --height must be within \(Limits.text(sizes)) pixels")
        }
        guard Limits.steps.contains(steps) else {
            throw ValidationError("--steps must be within \(Limits.text(Limits.steps))")
        }
        guard Limits.count.contains(count) else {
            throw ValidationError("--count must be within \(Limits.text(Limits.count))")
        }
    }

    var parameters: GenerationParameters {
        GenerationParameters(negativePrompt: negativePrompt, width: width, height: height, seed: seed, steps: steps, count: count)
    }
}
