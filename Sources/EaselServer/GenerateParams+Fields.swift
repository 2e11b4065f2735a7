import Foundation

extension GenerateParams {
    /// Which field of a `POST /api/generate` body that the decoder refused is wrong, e.g.
    /// "seed must be an integer in 0...4294967295" for `{"seed": -1}`; nil when the body is not a JSON object
    /// (or no known field is at fault). The decoder's own errors do not always name the field.
    static func wrongField(in body: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return nil }
        for key in ["prompt", "negative_prompt"] {
            if let value = object[key], !(value is NSNull), !(value is String) { return "\(key) must be a string" }
        }
        let any = Int64.min...Int64.max
        let ranges: [(String, ClosedRange<Int64>)] = [("width", any), ("height", any), ("steps", any), ("seed", 0...Int64(UInt32.max))]
        for (key, range) in ranges {
            guard let value = object[key], !(value is NSNull) else { continue }
            let wrong = key == "seed" ? "seed must be an integer in 0...\(UInt32.max)" : "\(key) must be an integer"
            guard let number = value as? NSNumber else { return wrong }
            let double = number.doubleValue
            guard double.rounded() == double, let whole = Int64(exactly: double), range.contains(whole) else { return wrong }
        }
        return nil
    }
}
