import EaselCore
import Foundation

/// The validated body of `POST /api/generate`.
struct GenerateParams: Equatable {
    struct Invalid: Error { let message: String }
    var prompt: String
    var negativePrompt: String
    var width: Int
    var height: Int
    var seed: UInt32
    var steps: Int

    private struct Wire: Decodable {
        var prompt: String?
        var negative_prompt: String?
        var width: Int?
        var height: Int?
        var seed: UInt32?
        var steps: Int?
    }

    static func parse(_ body: Data) -> Result<GenerateParams, Invalid> {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: body)
        } catch DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx) {
            let key = ctx.codingPath.last?.stringValue ?? "body"
            return .failure(Invalid(message: key == "body" ? "body must be a JSON object" : "\(key) has the wrong type"))
        } catch DecodingError.dataCorrupted(let ctx) where !ctx.codingPath.isEmpty {
            return .failure(Invalid(message: "\(ctx.codingPath.last!.stringValue) is out of range"))
        } catch {
            return .failure(Invalid(message: wrongField(in: body) ?? "body must be a JSON object"))
        }
        guard let prompt = wire.prompt else { return .failure(Invalid(message: "prompt is required")) }
        let trimmed = prompt.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .failure(Invalid(message: "prompt is empty")) }
        guard trimmed.count <= GenerationRequest.maxPromptLength else {
            return .failure(Invalid(message: "prompt is \(trimmed.count) characters; the limit is \(GenerationRequest.maxPromptLength)"))
        }
        let width = wire.width ?? 768, height = wire.height ?? 768, steps = wire.steps ?? 30
        for (key, value, range) in [("width", width, Limits.size), ("height", height, Limits.size), ("steps", steps, Limits.steps)]
        where !range.contains(value) {
            return .failure(Invalid(message: "\(key) must be in \(Limits.text(range))"))
        }
        return .success(GenerateParams(prompt: trimmed, negativePrompt: wire.negative_prompt ?? "", width: width,
                                       height: height, seed: wire.seed ?? UInt32.random(in: .min ... .max), steps: steps))
    }
}
