import EaselCore
import Testing

/// Our small TestStore: each `send` states the exact change to the whole state and the exact
/// effects, in order. Any other change or effect fails the test.
public struct ReducerHarness {
    public private(set) var state: AppState
    public init(state: AppState) { self.state = state }

    public mutating func send(_ action: Action, effects: [Effect] = [],
                              sourceLocation: SourceLocation = #_sourceLocation,
                              _ change: (inout AppState) -> Void = { _ in }) {
        var expected = state
        change(&expected)
        let actual = reduce(&state, action)
        #expect(state == expected, sourceLocation: sourceLocation)
        #expect(actual == effects, sourceLocation: sourceLocation)
    }
}
