/// Everything a backend needs to generate one image. Frozen when the job is created: later edits
/// in the prompt editor never change a job that already exists.
public struct GenerationRequest: Equatable, Hashable, Sendable, Codable {
    /// The prompt text, as typed (trimmed of surrounding whitespace).
    public var prompt: String
    /// Text describing what to avoid; empty means none.
    public var negativePrompt: String
    /// Output width in pixels.
    public var width: Int
    /// Output height in pixels.
    public var height: Int
    /// Seed, always resolved on the client before submission so it can be shown and reused.
    public var seed: UInt32
    /// Sampling steps.
    public var steps: Int
    /// The model to run (a ComfyUI or A1111 checkpoint file name, an OpenAI-compatible model id) when one was
    /// picked in the studio (`pick_model`); nil: the backend's configured `model` (or `--model`), else its default.
    public var model: String?

    public init(prompt: String, negativePrompt: String = "", width: Int = 768, height: Int = 768,
                seed: UInt32 = 0, steps: Int = 30, model: String? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.seed = seed
        self.steps = steps
        self.model = model
    }

    /// The longest prompt the reference server accepts, in characters.
    public static let maxPromptLength = 4_000
}

/// The generation parameters the editor carries; the seed is `nil` for "random per job".
public struct GenerationParameters: Equatable, Sendable {
    public var negativePrompt: String = ""
    public var width: Int = 768
    public var height: Int = 768
    /// A fixed seed, or `nil` to draw a new one for every job.
    public var seed: UInt32?
    public var steps: Int = 30
    /// Jobs per Enter (a batch); a fixed seed s gives s, s+1, …; a random seed a new one per job.
    public var count: Int = 1

    public init(negativePrompt: String = "", width: Int = 768, height: Int = 768, seed: UInt32? = nil, steps: Int = 30,
                count: Int = 1) {
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.seed = seed
        self.steps = steps
        self.count = count
    }

    /// The largest batch one Enter creates.
    public static let maxCount = 16
}

extension GenerationParameters {
    /// Output sizes `cycle_size` steps through, in pixels: square, landscape 3:2, portrait 2:3, wide 16:9.
    public static let sizePresets: [(Int, Int)] = [(768, 768), (768, 512), (512, 768), (1024, 576)]
}

/// A small deterministic pseudo-random generator (SplitMix64) kept in the state, so the reducer can
/// draw random seeds and stay pure. The loop seeds it once at start-up.
public struct SeedSource: Equatable, Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits (SplitMix64). The one generator Easel uses for seeds, the demo
    /// generator's scenes and benchmark fixtures, so they all repeat exactly.
    public mutating func next64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Returns the next seed in 0...UInt32.max.
    public mutating func next() -> UInt32 { UInt32(truncatingIfNeeded: next64()) }
}
