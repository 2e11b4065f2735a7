import Foundation

/// One goal and the figure measured against it, for the "Goals at a glance" table.
struct GoalRow {
    let section: String
    let figure: String
    let value: String
    let goal: String
    /// nil when the figure could not be compared (a tool missing).
    let met: Bool?
}

/// The section that opens BENCHMARKS.md: every goal of the sections this run produced, in one table.
enum GoalSummary {
    static let title = "Goals at a glance"

    static func markdown(_ rows: [GoalRow], partial: Bool) -> String {
        var s = "## \(title)\n\n"
        s += "Every goal measured by this run, with its figure (details, method and min–max in the sections below)."
        s += partial ? " This run produced only some sections (`--only`); the others below are from an earlier run.\n\n" : "\n\n"
        s += "| Section | Figure | Measured | Goal | Met |\n|---|---|---:|---|---|\n"
        for r in rows {
            s += "| \(r.section) | \(r.figure) | \(r.value) | \(r.goal) | \(r.met.map(mark) ?? "n/a") |\n"
        }
        let missed = rows.filter { $0.met == false }
        s += "\n" + (missed.isEmpty ? "Every goal met.\n" : "Missed: \(missed.count) of \(rows.count); the sections say why.\n")
        return s
    }

    /// Preview: Easel's time and bytes against img2sixel's, per image.
    static func preview(_ r: PreviewResults) -> [GoalRow] {
        var rows: [GoalRow] = []
        for i in r.images {
            let time = i.timeRatios.median, bytes = i.byteRatio
            rows.append(GoalRow(section: "Preview pipeline", figure: "\(i.image.label): time ÷ img2sixel, bytes ÷ img2sixel",
                                value: time.map { String(format: "%.2f× / %.2f×", $0, bytes ?? .nan) } ?? "n/a (no img2sixel)",
                                goal: "≤ 1.0× each", met: time.map { t in t <= 1 && (bytes ?? .infinity) <= 1 }))
            if let seconds = i.easel.times.median {
                rows.append(GoalRow(section: "Preview pipeline", figure: "\(i.image.label): file → sixel, Easel",
                                    value: String(format: "%.0f ms", seconds * 1000), goal: "≤ 1 s", met: seconds <= 1))
            }
        }
        if let c = r.cache {
            rows.append(GoalRow(section: "Preview pipeline", figure: "cache hit (`ImagePresenter.status(for:)`)",
                                value: String(format: "%.3f µs, %d encode(s)", c.hitMedian * 1e6, c.wakes),
                                goal: "no re-encode", met: c.wakes == 1 && c.notReady == 0))
        }
        return rows
    }
}
