/// Which pane has the keyboard.
public enum Pane: String, CaseIterable, Sendable {
    case prompt, queue, history

    public var keyContext: KeyContext {
        switch self {
        case .prompt: .prompt
        case .queue: .queue
        case .history: .history
        }
    }
}

/// A past prompt and the parameters it ran with.
public struct PromptHistoryEntry: Equatable, Sendable {
    public let prompt: String
    public let parameters: GenerationParameters
    public init(prompt: String, parameters: GenerationParameters) {
        self.prompt = prompt
        self.parameters = parameters
    }
}

/// Something that needs a y/n before it happens.
public enum Confirmation: Equatable, Sendable {
    /// Remove a finished job from the history and the journal (the image file stays).
    case deleteJob(JobID)
    /// Delete an image file (and its sidecar) from the gallery folder: its absolute path.
    case deleteImage(String)
    /// Quit although `jobs` jobs run on a backend whose server stops with Easel (the embedded demo).
    case quitLosingJobs(Int)

    public var question: String { question(keymap: .default) }

    /// The question, with the yes and no keys from `keymap` ("y / n").
    public func question(keymap: Keymap) -> String {
        let answers = keymap.answerKeys
        switch self {
        case .deleteJob(let id): return "Delete job \(id) from the history? \(answers) (the image file stays)"
        case .deleteImage(let path): return "Delete \(Sanitize.line(path))? \(answers)"
        case .quitLosingJobs(let n):
            return "Quit? \(n) demo job\(n == 1 ? "" : "s") will stop (the demo server quits with Easel) \(answers)"
        }
    }
}

/// A field the prompt editor can edit in place of the prompt.
public enum FieldEdit: Equatable, Sendable {
    case negativePrompt
    /// `seed=42|random size=768x768 steps=30`
    case parameters

    public var title: String { title(keymap: .default) }

    /// Leaving the field by Esc, Tab or a click keeps what was typed (the negative prompt); otherwise
    /// it is canceled, as its title says (the parameters, whose text may not parse).
    var keepsTextOnLeaving: Bool {
        switch self {
        case .negativePrompt: true
        case .parameters: false
        }
    }

    /// The field's title, with key names from `keymap`.
    public func title(keymap: Keymap) -> String {
        let enter = keymap.keyName(for: .generate, in: .prompt) ?? Command.generate.rawValue
        let back = keymap.keyName(for: .focusPrompt, in: .prompt) ?? Command.focusPrompt.rawValue
        switch self {
        case .negativePrompt:
            let own = keymap.keyName(for: .editNegative, in: .prompt) ?? Command.editNegative.rawValue
            return "Negative prompt — \(enter), \(own) or \(back) goes back, keeping it"
        case .parameters:
            let cancel = back
            return "Parameters: seed=N|random size=WxH steps=N — \(enter) applies, \(cancel) cancels"
        }
    }
}

/// Incremental reverse search through past prompts (C-r).
public struct PromptSearch: Equatable, Sendable {
    public var query = ""
    /// How many newer matches to skip (each further C-r adds one).
    public var skip = 0
    /// No past prompt matches `query` (shown as "failing"; Enter then keeps the prompt as it was).
    public var failed = false
    public init() {}
}

/// How Enter behaves while a job runs.
public enum GenerationMode: String, Sendable, CaseIterable {
    /// The seed design: one job at a time; the editor and submit are locked while it runs.
    case exclusive
    /// Enter appends to the generation queue while jobs run.
    case queue
}

/// A one-line message in the status area, replaced by the next key press.
public enum Hint: Equatable, Sendable {
    case locked
    case emptyPrompt
    case promptTooLong(characters: Int)
    case jobFailed(JobID, JobError)
    case saved(JobID, path: String)
    /// Something to know that is not a failure (a theme that did not load, …).
    case warning(String)
    /// Something happened that needs no attention ("queue mode", "3 jobs queued").
    case info(String)

    public var message: String { message(keymap: .default) }

    /// The message, with key names from `keymap` (the key for queue mode in the locked hint).
    public func message(keymap: Keymap) -> String {
        switch self {
        case .locked:
            "A job is processing: the editor is locked until it finishes; "
                + (keymap.keyName(for: .toggleMode, in: .prompt).map { "\($0) switches to queue mode" } ?? "queue mode (toggle_mode) lifts the lock")
        case .emptyPrompt: "Type a prompt first"
        case .promptTooLong(let n): "The prompt has \(n) characters; the limit is \(GenerationRequest.maxPromptLength)"
        case .jobFailed(let id, let error): "Job \(id) \(error.message)\(error.pickAdvice(keymap: keymap))"
        case .saved(_, let path): "Saved \(Sanitize.line(path))"
        case .warning(let text), .info(let text): Sanitize.line(text)
        }
    }

    public var isError: Bool {
        switch self {
        case .locked, .emptyPrompt, .promptTooLong, .jobFailed, .warning: true
        case .saved, .info: false
        }
    }
}

/// A backend the user can switch to: its config name and the status bar's description of it.
public struct BackendChoice: Equatable, Sendable {
    /// The `[backends.NAME]` name, or "demo".
    public let name: String
    /// "gpu — comfyui at http://127.0.0.1:8188".
    public let summary: String
    /// The only output sizes its model accepts (`ModelSizes.fixed`), or nil when any size goes.
    public internal(set) var sizes: [OutputSize]?
    /// The configured model (`model`, or `--model`); `AppState.currentBackend` puts the picked one here.
    /// Shown on the parameters line and when a size is changed to one of `sizes` ("gpt-image-1").
    public internal(set) var model: String?
    /// True when `sizes` follow the model (an OpenAI-compatible images API: `ModelSizes.fixed(for: model)`),
    /// so a model picked in the studio brings its own sizes.
    public let sizesFollowModel: Bool
    /// Jobs sent ahead into the service's own queue (`QueueState.queueAhead`).
    public let queueAhead: Int
    /// Jobs the service really runs at once, as its adapter declares (`GenerationBackend.maxConcurrentJobs`:
    /// 1 for A1111); nil when only the configured concurrency limits it. The reducer's slots use it.
    public let slots: Int?
    /// Set when this choice is a pool: new jobs wait in Easel's queue and are bound to one of its members
    /// when they start. The members are choices of their own (`backends`).
    public let pool: BackendPool?
    /// Jobs this backend runs at once when it has its own (a pool member's `concurrency` key); nil: the
    /// queue's `concurrency`.
    public let concurrency: Int?
    /// Its own poll interval and deadline (a pool member's `poll_interval` and `deadline`); nil: the run's.
    public let pollPolicy: PollPolicy?
    /// Its own client-side rate limit, as an empty pacer (a pool member: the seed API's 8 per 60 s, or
    /// `--pace`); nil: only the run's `QueueState.pacer`. The live one is `QueueState.pacers[name]`.
    public var pace: RateLimitPacer?
    public init(name: String, summary: String, model: String? = nil, queueAhead: Int = 0, sizes: [OutputSize]? = nil,
                slots: Int? = nil, sizesFollowModel: Bool = false, pool: BackendPool? = nil, concurrency: Int? = nil,
                pollPolicy: PollPolicy? = nil, pace: RateLimitPacer? = nil) {
        self.slots = slots
        self.sizesFollowModel = sizesFollowModel
        self.pace = pace
        self.pool = pool
        self.concurrency = concurrency
        self.pollPolicy = pollPolicy
        self.name = name
        self.summary = summary
        self.model = model
        self.queueAhead = queueAhead
        self.sizes = sizes
    }
}

/// The colour themes: the one in use and the ones `cycle_theme` (F2) goes through.
public struct ThemeSet: Equatable, Sendable {
    /// The theme the screen is drawn with ("mono" when colours are off or the configured one failed to load).
    public var current: String
    /// Theme names to cycle through, in order (built-in and `$XDG_CONFIG_HOME/easel/themes/*.toml`).
    public var available: [String]
    /// False under `NO_COLOR`: F2 says so and changes nothing.
    public var colors: Bool
    public init(current: String = "mono", available: [String] = [], colors: Bool = true) {
        self.current = current
        self.available = available
        self.colors = colors
    }

    /// The name after `current` in `available` (the first when `current` is not among them); nil when none.
    public var next: String? {
        guard !available.isEmpty else { return nil }
        return available[((available.firstIndex(of: current) ?? -1) + 1) % available.count]
    }
}

/// Everything the UI shows, and nothing it does not. Changed only by `reduce`.
/// Grouped by what owns it: the editor, the queue of jobs, the history pane, and one `Modal` for the
/// overlay, field, search, filter or question the user is in.
public struct AppState: Equatable, Sendable {
    /// Shown in the status bar, e.g. "demo backend — procedural, offline".
    public var backendName: String
    /// The configured backends F3 cycles through (`[backends.NAME]` plus the demo), in config order.
    public var backends: [BackendChoice] = []
    /// The `name` of the backend new jobs go to ("demo", "gpu", …); stamped on every job.
    public var backendKey = "demo"
    /// Models picked in the studio (`pick_model`), by backend name: sent with that backend's next jobs in place
    /// of its configured `model`. Kept in the journal's folder across runs (`JournalSync`).
    public var pickedModels: [String: String] = [:]
    /// Models pool members listed when the picker asked them (F5 on a pool), by member name: the pool
    /// prefers members that list a job's model and never picks one that lists others only.
    public var listedModels: [String: [String]] = [:]
    /// Backends whose server stops when Easel does (the embedded demo): quitting with their jobs in
    /// flight asks first, since those jobs cannot resume.
    public var ephemeralBackends: Set<String> = []
    /// The gallery folder new jobs are made for (absolute path; nil: the runner's gallery).
    public var galleryDirectory: String?
    public var mode: GenerationMode
    public var pollPolicy: PollPolicy
    /// The prompt, the parameters and the prompt history.
    public var editor: EditorState
    /// Every job of this run, the slots and the pacer that start them, the queue pane's cursor.
    public var queue = QueueState()
    /// The history pane's cursor and filter.
    public var history = HistoryPane()
    /// The overlay, field edit, search, filter or question the user is in; nil: just the panes.
    public var modal: Modal?
    public var focus: Pane = .prompt
    public var hint: Hint?
    /// The help overlay's size as last drawn (`.helpPage`): all its lines and how many show at once.
    public var helpPage = HelpPage()
    /// The latest time the loop reported (`.tick`).
    public var now: ContinuousClock.Instant
    /// Seconds since 1970 at `now`, for clock times shown to the user.
    public var wallTime: Double = 0
    /// The theme in use and the ones F2 cycles through.
    public var themes = ThemeSet()

    public init(backendName: String, mode: GenerationMode = .exclusive, pollPolicy: PollPolicy = PollPolicy(),
                parameters: GenerationParameters = GenerationParameters(), seeds: SeedSource = SeedSource(seed: 1),
                now: ContinuousClock.Instant) {
        self.backendName = backendName
        self.mode = mode
        self.pollPolicy = pollPolicy
        self.editor = EditorState(parameters: parameters, seeds: seeds)
        self.now = now
    }

    /// Every job of this run, in creation order (`queue.jobs`).
    public var jobs: [Job] { queue.jobs }

    /// Jobs still in flight, oldest first (`QueueState.activeIndices`: no walk through the history).
    public var activeJobs: [Job] { queue.activeIndices.map { queue.jobs[$0] } }

    /// In exclusive mode the editor and submit are locked while any job is in flight.
    public var isEditorLocked: Bool { mode == .exclusive && hasActiveJobs }

    /// The selected active job in the queue pane.
    public var selectedQueueJob: Job? {
        let active = activeJobs
        return active.first { $0.id == queue.selection } ?? active.first
    }

    /// The selected finished job in the history pane.
    public var selectedHistoryJob: Job? {
        let rows = historyRows                  // lazy: stops at the match, never copies the whole history
        return rows.first { $0.id == history.selection } ?? rows.first
    }

    /// True while something on screen changes with time (spinner, elapsed clock, placeholder pulse):
    /// the loop only wakes up on a timer then.
    public var isAnimating: Bool { hasActiveJobs }

    /// True while any job is in flight; copies no job.
    public var hasActiveJobs: Bool { !queue.activeIndices.isEmpty }

    /// The job whose picture the preview pane shows: the running one, else the selected history row, else
    /// (nothing selected: the preview follows the newest job) the newest finished job, even one a kept
    /// history filter hides.
    public var previewJob: Job? {
        if let active = activeJobs.last(where: { $0.state.holdsSlot }) ?? activeJobs.first { return active }
        if let id = history.selection, let job = job(id) { return job }
        // A job canceled while waiting does not hide an image that finished after it (queue mode: x on a pending job).
        func shown(_ job: Job) -> Bool { job.state != .canceled || job.startedAt != nil }
        if history.filter.isEmpty { return historyRows.first(where: shown) ?? historyRows.first }
        return jobs.last { !$0.state.isActive && shown($0) } ?? jobs.last { !$0.state.isActive }
    }

    public func job(_ id: JobID) -> Job? { queue.positions[id].map { queue.jobs[$0] } }

    /// The backend new jobs go to, when it is among `backends`, with the model picked for it in place of the
    /// configured one (and, where sizes follow the model, that model's sizes).
    public var currentBackend: BackendChoice? {
        guard var choice = backends.first(where: { $0.name == backendKey }) else { return nil }
        if let picked = pickedModels[backendKey] {
            choice.model = picked
            if choice.sizesFollowModel { choice.sizes = ModelSizes.fixed(for: picked) }
        }
        return choice
    }

    mutating func update(_ id: JobID, _ change: (inout Job) -> Void) {
        guard let i = queue.positions[id] else { return }
        change(&queue.jobs[i])
    }
}

/// The help overlay's size as drawn: scrolling stops at its last page; PgUp / PgDn move by `shown`.
public struct HelpPage: Equatable, Sendable {
    /// Lines in all (`Int.max` until the screen has reported them: no last page yet).
    public var lines = Int.max
    /// Lines shown at once, in every column.
    public var shown = 10
    public init(lines: Int = .max, shown: Int = 10) { self.lines = lines; self.shown = shown }
}
