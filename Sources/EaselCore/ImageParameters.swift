/// What a service ran, read back from what it was sent (ComfyUI: the graph's sampler node and model loader),
/// for the saved image's metadata. A nil field is one the service's input did not have (a graph without a
/// sampler has no steps, sampler, CFG or seed), and is left out of the metadata.
public struct RanParameters: Equatable, Sendable {
    public var seed: UInt64?
    public var steps: Int?
    /// The service's own names: `euler`, `karras`.
    public var sampler: String?
    public var scheduler: String?
    public var cfgScale: Double?
    /// The checkpoint (or diffusion model) file name.
    public var model: String?
    public init(seed: UInt64? = nil, steps: Int? = nil, sampler: String? = nil, scheduler: String? = nil,
                cfgScale: Double? = nil, model: String? = nil) {
        self.seed = seed
        self.steps = steps
        self.sampler = sampler
        self.scheduler = scheduler
        self.cfgScale = cfgScale
        self.model = model
    }
}

/// Generation parameters read back from an image (Easel's `easel` chunk, AUTOMATIC1111's
/// `parameters` text, or a sidecar `.json`), to load into the editor. Fields the source did not
/// record are `nil`; text is as found in the file (sanitize before showing it).
public struct ImageParameters: Equatable, Sendable {
    public var prompt: String
    public var negativePrompt: String
    public var seed: UInt32?
    /// Pixels.
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    /// Where they came from: "easel", "parameters" or "sidecar".
    public var source: String

    public init(prompt: String, negativePrompt: String = "", seed: UInt32? = nil, width: Int? = nil, height: Int? = nil,
                steps: Int? = nil, source: String) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.width = width
        self.height = height
        self.steps = steps
        self.source = source
    }
}
