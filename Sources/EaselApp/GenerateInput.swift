import EaselCore
import Foundation

/// What `easel generate` runs: its prompts, checked before anything is queued, and the parameters of
/// `--from IMAGE` merged over the command line's.
public enum GenerateInput {
    /// The prompts in order; each `-` is replaced by the lines `readLine` gives until it returns nil,
    /// blank lines left out.
    public static func prompts(_ arguments: [String], readLine: () -> String?) -> [String] {
        var all: [String] = []
        for p in arguments {
            if p == "-" {
                while let line = readLine() { if !line.trimmingCharacters(in: .whitespaces).isEmpty { all.append(line) } }
            } else {
                all.append(p)
            }
        }
        return all
    }

    /// The first prompt the whole run must be refused for ("prompt 2 is empty", "prompt 1 has 4001
    /// characters; the limit is 4000"), or nil when every prompt can be sent.
    public static func problem(in prompts: [String]) -> String? {
        for (i, p) in prompts.enumerated() {
            let trimmed = p.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { return "prompt \(i + 1) is empty" }
            if trimmed.count > GenerationRequest.maxPromptLength {
                return "prompt \(i + 1) has \(trimmed.count) characters; the limit is \(GenerationRequest.maxPromptLength)"
            }
        }
        return nil
    }

    /// `--from IMAGE`: the image's prompt when no prompt was given; its negative prompt; its seed unless
    /// `--seed` was given (`keepSeed`); its size; its steps clamped to `Limits.steps`.
    /// - Returns: nil, or the reason the image cannot be re-run ("size 4096x512 is outside 64...2048").
    public static func merge(_ found: ImageParameters, prompts: inout [String], parameters: inout GenerationParameters,
                             keepSeed: Bool) -> String? {
        if prompts.isEmpty { prompts = [found.prompt] }
        parameters.negativePrompt = found.negativePrompt
        if !keepSeed, let seed = found.seed { parameters.seed = seed }
        if let w = found.width, let h = found.height {
            let sizes = Limits.size
            guard sizes.contains(w), sizes.contains(h) else {
                return "size \(w)x\(h) is outside \(Limits.text(sizes))"
            }
            (parameters.width, parameters.height) = (w, h)
        }
        if let s = found.steps {
            let steps = Limits.steps
            parameters.steps = min(steps.upperBound, max(steps.lowerBound, s))
        }
        return nil
    }
}
