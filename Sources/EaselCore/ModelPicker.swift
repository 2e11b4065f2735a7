/// The model picker overlay (`pick_model`, F5): the models the current backend lists (ComfyUI's
/// checkpoints, A1111 `sd-models`, an OpenAI-compatible `/v1/models`), narrowed by what is typed.
/// Enter picks the selected one for the backend (`AppState.pickedModels`); Esc backs out. Pure data:
/// the list arrives in `.modelsListed`.
public struct ModelPicker: Equatable, Sendable {
    /// The `[backends.NAME]` name the list is for (the backend new jobs go to when it opened).
    public let backend: String
    /// What the service said, or nil while the list is being fetched.
    public var listing: ModelListing?
    /// Typed to narrow the list: rows containing it (case-insensitive).
    public var filter = ""
    /// The selected row among `matches`, from 0.
    public var selection = 0
    /// For a pool: each member's answer so far, by member name; `listing` is then their union.
    public var memberListings: [String: ModelListing] = [:]

    public init(backend: String, listing: ModelListing? = nil, filter: String = "", selection: Int = 0) {
        self.backend = backend
        self.listing = listing
        self.filter = filter
        self.selection = selection
    }

    /// The listed models that contain `filter` (case-insensitive), in the service's order.
    public var matches: [String] {
        guard case .models(let all)? = listing else { return [] }
        let needle = filter.lowercased()
        return needle.isEmpty ? all : all.filter { $0.lowercased().contains(needle) }
    }

    /// For a pool's picker: the members that list `model`, by name (["m1", "m3"]); empty otherwise.
    public func members(listing model: String) -> [String] {
        memberListings.keys.sorted().filter { if case .models(let names)? = memberListings[$0] { names.contains(model) } else { false } }
    }

    /// The pool's listing from its members' answers (`memberListings`) once `members` have answered:
    /// the union of their models in member order, else `notListed` when none can list, else the
    /// failures ("m1: …; m2: …"); nil while a member that may list models has not answered.
    public func poolListing(of members: [String]) -> ModelListing? {
        var union: [String] = []
        for member in members { if case .models(let names)? = memberListings[member] { union += names.filter { !union.contains($0) } } }
        guard members.allSatisfy({ memberListings[$0] != nil }) else { return union.isEmpty ? nil : .models(union) }
        if !union.isEmpty { return .models(union) }
        let failed = members.compactMap { m in if case .failed(let why)? = memberListings[m] { "\(m): \(why)" } else { nil } }
        return failed.count == members.count ? .failed(failed.joined(separator: "; ")) : .notListed
    }

    /// The model Enter would pick; nil when nothing matches (or the list has not arrived).
    public var selected: String? {
        let rows = matches
        return rows.isEmpty ? nil : rows[min(max(0, selection), rows.count - 1)]
    }
}

/// A backend's answer to "which models do you have?" (`Effect.listModels`).
public enum ModelListing: Equatable, Sendable {
    /// The model names, as the service spells them (sanitized), in its order.
    case models([String])
    /// The service has no call that lists models (fal, Replicate, sd.cpp, the demo): the config's `model` is used.
    case notListed
    /// The list request failed; the reason, one line.
    case failed(String)
}

extension AppState {
    /// The model new jobs on `backend` ask for: the one picked in the studio, else the configured one
    /// (`model`, or `--model` for the selected backend); nil: the service's own default.
    public func model(of backend: String) -> String? {
        pickedModels[backend] ?? backends.first { $0.name == backend }?.model
    }

    /// The model picker, while it is open (maybe under the help overlay).
    public var modelPicker: ModelPicker? {
        for case .models(let picker, _) in modal?.layers ?? [] { return picker }
        return nil
    }
}
