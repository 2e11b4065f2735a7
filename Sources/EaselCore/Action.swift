/// Something that happened: a key, a resize, a tick of the clock, or an effect's result.
public enum Action: Equatable, Sendable {
    case key(Key)
    /// Bracketed paste: text arrives as one piece and never submits.
    case paste(String)
    /// The loop's clock: the monotonic instant and wall-clock seconds since 1970.
    case tick(ContinuousClock.Instant, wallTime: Double)
    /// The service accepted the job; `status` is what it said about it.
    case submitted(JobID, RemoteJobID, status: RemoteStatus)
    case statusPolled(JobID, RemoteStatus)
    case downloaded(JobID, ImageData)
    case saved(JobID, SavedImage)
    /// The service's in-progress preview of a running job, written to `path` (A1111 `current_image`).
    case livePreview(JobID, path: String)
    /// A click in a pane; `job`: the queue or history row under it, as the pane draws its rows (the
    /// loop asks the view's own row function); nil for the prompt or below the last row.
    case clicked(Pane, job: JobID?)
    /// The mouse wheel over a pane: -1 up, +1 down.
    case scrolled(Pane, by: Int)
    /// Jobs read from the journal at start: finished ones join the history; ones left in flight by a
    /// process that died resume (polling, or downloading again); an interrupted submit is not resent.
    case restored([Job])
    /// Something the loop wants the user to see (a theme that did not load, an image opened).
    case notice(String)
    /// Something the service said that is not a failure but needs attention (part of the workflow dropped,
    /// an output Easel cannot show): shown as a warning.
    case warning(String)
    /// The loop loaded the theme named by `.terminal(.loadTheme)` and drew with it; `warnings`: lines
    /// of its file that were ignored.
    case themeLoaded(String, warnings: Int)
    /// An effect for the job failed; `during` says which, since recovery depends on it.
    case failed(JobID, JobError, during: Stage)
    /// The gallery browser: a scan, parameters read back, a deletion, the grid's size.
    case gallery(GalleryEvent)
    /// The help overlay as the screen draws it: `lines` in all, `shown` at once (the loop reports it while help
    /// is open, as the gallery's grid), so scrolling stops at the last page and PgUp / PgDn move by a page.
    case helpPage(lines: Int, shown: Int)
    /// The models `backend` lists (answer to `.listModels`), for the model picker.
    case modelsListed(backend: String, ModelListing)
    /// A down pool member answered its `.probe` (`reachable`), or not; `detail`: the service's health
    /// line or the error, unsanitized.
    case probed(member: String, reachable: Bool, detail: String)
}

/// The step of a job an effect was doing.
public enum Stage: String, Equatable, Sendable {
    case submit, poll, download, save, cancel
}

/// An order for the effect runner: data, never closures, so tests compare them with `==`.
/// Every order about a job names its `backend` (the `[backends.NAME]` name, or "demo"), bound by the
/// reducer from the job (`AppState.backend(of:)`): the runner keeps no routing of its own.
public enum Effect: Equatable, Sendable {
    /// Send the request to the backend; answers `.submitted` or `.failed`.
    case submit(JobID, GenerationRequest, backend: String)
    /// Wait `after`, then ask for the job's status; answers `.statusPolled` or `.failed`.
    case poll(JobID, RemoteJobID, after: Duration, backend: String)
    /// Fetch the image bytes; answers `.downloaded` or `.failed`.
    case download(JobID, ImageRef, backend: String)
    /// Decode (validating size and format) and write to the gallery; answers `.saved` or `.failed`.
    /// `index` is the image's number within its job, from 1 (several when the service made several);
    /// `target`: the job's own gallery folder and creation time; `timings`: from the job's own
    /// timestamps, for the image's metadata.
    case save(JobID, ImageData, GenerationRequest, remote: RemoteJobID?, index: Int = 1, target: GalleryTarget = GalleryTarget(),
              backend: String, timings: JobTimings = JobTimings())
    /// Ask the service to cancel the job (best effort; answers nothing or `.failed(…, during: .cancel)`).
    case cancel(JobID, RemoteJobID, backend: String)
    /// Send a `.tick` after `after` (a pacer slot or a 429 wait ends).
    case timer(after: Duration)
    /// Ask a pool member that was marked down whether it answers again (its health check); answers
    /// `.probed`.
    case probe(backend: String)
    /// Open a file with the system viewer (argument vector, no shell).
    case open(String)
    /// Save again the image kept after a failed save (the state folder's `pending/`); if it is gone,
    /// download it from `fallback`. Answers `.downloaded` (which saves) or `.failed(…, during: .download)`.
    case loadPending(JobID, fallback: ImageRef?, backend: String)
    /// Work in the gallery folder for the browser.
    case gallery(GalleryEffect)
    /// Ask the backend which models it has (`GenerationBackend.models()`); answers `.modelsListed`.
    case listModels(backend: String)
    /// An order to the terminal: carried out by the loop that owns it, never by the effect runner.
    case terminal(TerminalOrder)
}

/// What the terminal loop does for the reducer, between reading input and drawing the next frame.
public enum TerminalOrder: Equatable, Sendable {
    /// Leave: restore the terminal and return from the loop (the journal is flushed first).
    case quit
    /// Repaint every cell and write every picture again (C-l).
    case redraw
    /// Give the terminal back to the shell and stop the process group, as the terminal's own Ctrl-Z
    /// would; `fg` resumes and repaints everything (C-z).
    case suspend
    /// Load the theme with this name and draw with it; answers `.themeLoaded` or `.notice` (the error).
    case loadTheme(String)
    /// Put the text on the terminal's clipboard with OSC 52 (reaches the local clipboard over SSH).
    case copyToClipboard(String)
    /// Announce that the job ended: the bell, and a desktop notification where the terminal shows one.
    case notify(JobID)
    /// Drop every encode made from the image file at this path (it was deleted): where it is shown next, it is
    /// read again, and a missing file says so instead of the picture that was cached.
    case forgetPicture(String)
}

/// How long a job took, from its own timestamps in the state (`Job.startedAt`, `Job.downloadStartedAt`
/// and the `.tick` time its image arrived), written into the image's metadata (`elapsed_s`, `download_s`).
public struct JobTimings: Equatable, Sendable {
    /// From the submission that made the image to its bytes downloaded; nil when unknown (a restored job).
    public var elapsed: Duration?
    /// The image's download; nil when unknown (the image was kept after a failed save).
    public var download: Duration?
    public init(elapsed: Duration? = nil, download: Duration? = nil) {
        self.elapsed = elapsed
        self.download = download
    }
}
