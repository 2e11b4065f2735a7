import Foundation

/// The job overhead with push: the same studio, proxy and observer, against a server that names each job's
/// event stream (`GET /api/events/{jobId}`, docs/events.md), so the studio follows the stream instead of
/// polling. Compared with the polling section: requests per job and completion → on screen.
extension JobOverheadBench {
    static let pushTitle = "Job overhead, push (server-sent events)"
    /// Completion → the download's request, the part push can still lose time in.
    static let pushGoal = 0.100

    func pushGoals(_ r: Result) -> [GoalRow] {
        let total = r.runs.map { Double($0.requests.count) }.median ?? .nan
        let toDownload = r.runs.compactMap { run in run.downloadAt.map { $0 - run.completedAt } }
        let delay = r.runs.map(\.delay).median ?? .nan
        return [GoalRow(section: Self.pushTitle, figure: "requests per job, push (submit + stream + download)",
                        value: String(format: "%.0f (minimum 3)", total), goal: "= 3",
                        met: r.runs.allSatisfy { $0.requests.count == 3 && $0.streams == 1 }),
                GoalRow(section: Self.pushTitle, figure: "completion → download starts, push",
                        value: String(format: "%.0f ms (on screen %.0f ms)", (toDownload.median ?? .nan) * 1000, delay * 1000),
                        goal: "< \(Int(Self.pushGoal * 1000)) ms", met: (toDownload.max() ?? .infinity) < Self.pushGoal)]
    }

    func pushMarkdown(_ r: Result) -> String {
        let runs = r.runs
        func d(_ xs: [Double], _ digits: Int = 0) -> String { xs.summary(digits, scale: 1000) }
        let toDownload = runs.compactMap { run in run.downloadAt.map { $0 - run.completedAt } }
        let downloadToScreen = runs.compactMap { run in run.downloadAt.map { run.screenAt - $0 } }
        let extraKinds = Set(runs.flatMap { $0.others.map { "\($0.method) \($0.path)" } }).sorted()
        return """
        ## \(Self.pushTitle)

        The same studio, proxy and observer as above, against a server that names each job's event stream in its \
        submit answer (`"events"`, docs/events.md), so the studio follows `GET /api/events/{jobId}` instead of polling \
        (its poll interval stays 2 s, for the fallback). \(runs.count) run(s) with \(String(format: "%g", latency)) s latency.

        | Figure | Median (min–max) | Goal | Met |
        |---|---:|---|---|
        | requests per job (all kinds) | \(runs.map { Double($0.requests.count) }.summary(0)) | 3: submit + 1 stream + 1 download | \
        \(mark(runs.allSatisfy { $0.requests.count == 3 })) |
        | of which streams / status polls | \(runs.map { Double($0.streams) }.summary(0)) / \(runs.map { Double($0.polls.count) }.summary(0)) | 1 / 0 | |
        | server time, submit → completed (ms) | \(d(runs.map(\.serverTime))) | reference | |
        | completion → download request (ms) | \(d(toDownload)) | < \(Int(Self.pushGoal * 1000)) ms | \(mark((toDownload.max() ?? .infinity) < Self.pushGoal)) |
        | download request → on screen (ms) | \(d(downloadToScreen)) | reference | |
        | completion → on screen (ms) | \(d(runs.map(\.delay))) | < \(Int(Self.pushGoal * 1000)) ms + the download | |

        Submits per job: \(runs.map { "\($0.submits)" }.joined(separator: ", ")); other requests during the job: \
        \(extraKinds.isEmpty ? "none" : extraKinds.joined(separator: ", ")).

        """
    }
}
