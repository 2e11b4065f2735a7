extension AppState {
    /// The history pane's rows, newest first, as a lazy sequence: finished jobs (complete, failed or canceled)
    /// narrowed by the history filter (prompt text, case-insensitive; a seed; `*` for starred jobs). Nothing is
    /// copied or tested until a row is asked for, so a view that needs the first screenful of a long
    /// history looks at those rows only.
    public var historyRows: LazyFilterSequence<ReversedCollection<[Job]>> {
        let filter = history.filter, needle = filter.lowercased()
        return jobs.reversed().lazy.filter { job in
            guard !job.state.isActive else { return false }
            return filter.isEmpty || job.request.prompt.lowercased().contains(needle) || String(job.request.seed) == filter
                || (needle == "*" && job.starred)
        }
    }
}
