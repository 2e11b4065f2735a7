import EaselCore
import Testing
import TestSupport

/// F5 on a pool asks each member for its models and shows their union (no "not set up" error for the
/// pool's own name); a picked model makes the pool prefer the members that list it.
@Suite("Backend pool: the model picker (reducer)")
struct PoolModelPickerTests {
    typealias P = PoolReducerTests

    @Test func f5OnAPoolAsksEachMemberAndShowsTheUnionWithWhoListsWhat() {
        var s = P.pooled(["gpu1", "gpu2", "gpu3"], count: 1)
        #expect(reduce(&s, .key(.function(5))) == ["gpu1", "gpu2", "gpu3"].map { .listModels(backend: $0) })
        _ = reduce(&s, .modelsListed(backend: "gpu2", .models(["sdxl", "flux"])))
        #expect(s.modelPicker?.listing == .models(["sdxl", "flux"]), "shown as members answer")
        _ = reduce(&s, .modelsListed(backend: "gpu1", .models(["sd15", "sdxl"])))
        _ = reduce(&s, .modelsListed(backend: "gpu3", .notListed))
        #expect(s.modelPicker?.listing == .models(["sd15", "sdxl", "flux"]))
        #expect(s.modelPicker?.members(listing: "sdxl") == ["gpu1", "gpu2"] && s.modelPicker?.members(listing: "flux") == ["gpu2"])
        // Picking flux: the next job goes to gpu2, which lists it, not to gpu1, which lists others only.
        _ = reduce(&s, .key(.down))
        _ = reduce(&s, .key(.down))
        _ = reduce(&s, .key(.enter))
        #expect(s.pickedModels["gpus"] == "flux")
        #expect(P.submits(reduce(&s, .key(.enter))) == ["#1 gpu2"])
    }

    @Test func membersThatCannotListOrFailAreSaidSoNotAFalseNetworkError() {
        var s = P.pooled(["gpu1", "gpu2"], count: 1)
        _ = reduce(&s, .key(.function(5)))
        _ = reduce(&s, .modelsListed(backend: "gpu1", .notListed))
        #expect(s.modelPicker?.listing == nil, "gpu2 has not answered")
        _ = reduce(&s, .modelsListed(backend: "gpu2", .notListed))
        #expect(s.modelPicker?.listing == .notListed)
        var down = P.pooled(["gpu1", "gpu2"], count: 1)
        _ = reduce(&down, .key(.function(5)))
        _ = reduce(&down, .modelsListed(backend: "gpu1", .failed("refused")))
        _ = reduce(&down, .modelsListed(backend: "gpu2", .failed("timeout")))
        #expect(down.modelPicker?.listing == .failed("gpu1: refused; gpu2: timeout"))
    }
}
