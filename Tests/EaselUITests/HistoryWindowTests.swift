import EaselCore
@testable import EaselUI
import Testing
import TestSupport

/// The history pane finds the rows it shows by walking the history newest first and stopping once the
/// window is known: with 100,000 jobs it looks at a screenful, not at every job.
@Suite("The history pane looks only at the rows it shows")
struct HistoryWindowTests {
    /// The window as the pane computed it before: every finished job, then the slice around the selection.
    func everyRowWindow(_ state: AppState, height: Int) -> [JobID] {
        let rows = Array(state.historyRows)
        let selected = state.history.selection ?? rows.first?.id
        let top = max(0, (rows.firstIndex { $0.id == selected } ?? 0) - height + 1)
        return rows.dropFirst(top).prefix(height).map(\.id)
    }

    @Test func theNewestScreenfulVisitsAsManyRowsAsItShows() {
        let state = PaneCacheTests.history(100_000)
        let window = HistoryWindow(state, height: 24)
        #expect(window.visited == 24)
        #expect(window.rows.map(\.id) == (99_977...100_000).reversed().map(JobID.init))
        #expect(window.selected == JobID(100_000))
    }

    @Test func aSelectionFurtherDownVisitsTheRowsDownToIt() {
        var state = PaneCacheTests.history(100_000)
        state.history.selection = JobID(100_000 - 59)          // the 60th row
        let window = HistoryWindow(state, height: 24)
        #expect(window.visited == 60)
        #expect(window.rows.map(\.id) == everyRowWindow(state, height: 24))
    }

    @Test(arguments: [nil, 1, 2, 5, 6, 9, 10, 11, 30, 31, 99] as [Int?])
    func theWindowIsTheOneTheWholeListGives(_ selection: Int?) {
        var state = PaneCacheTests.history(31)
        state.history.selection = selection.map(JobID.init)
        for filter in ["", "harbour 1", "7", "nothing"] {
            state.history.filter = filter
            for height in [1, 3, 10, 40] {
                let window = HistoryWindow(state, height: height)
                #expect(window.rows.map(\.id) == everyRowWindow(state, height: height), "filter \(filter), height \(height)")
            }
        }
    }
}
