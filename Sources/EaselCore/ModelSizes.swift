import Foundation

/// An output size in pixels, width × height.
public struct OutputSize: Hashable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public init(_ width: Int, _ height: Int) {
        self.width = width
        self.height = height
    }

    /// `1024x1024`, as the services and the M-e field write it.
    public var description: String { "\(width)x\(height)" }

    /// -1 portrait, 0 square, +1 landscape.
    var orientation: Int { width == height ? 0 : (width > height ? 1 : -1) }
}

/// The output sizes of hosted models that accept only a fixed list, by model name. A model not listed
/// (a local server's, or one that takes any size) is `nil`: its requests go out unchanged.
///
/// Sources: OpenAI `size` (https://platform.openai.com/docs/api-reference/images/create,
/// https://github.com/openai/openai-python/blob/main/src/openai/types/image_generate_params.py;
/// reference/backends.md §5.1); Stability's SDXL 1.0 v1 text-to-image dimension list
/// (https://platform.stability.ai/docs/api-reference#tag/SDXL-1.0-and-SD1.6/operation/textToImage).
public enum ModelSizes {
    /// The sizes `model` accepts, in the order M-s cycles through them; nil when any size goes.
    /// Matching ignores case; `gpt-image-*` covers gpt-image-1, gpt-image-1-mini and later versions.
    public static func fixed(for model: String?) -> [OutputSize]? {
        guard let m = model?.lowercased().trimmingCharacters(in: .whitespaces), !m.isEmpty else { return nil }
        if m.hasPrefix("gpt-image") || m.hasPrefix("chatgpt-image") {
            return [OutputSize(1024, 1024), OutputSize(1536, 1024), OutputSize(1024, 1536)]
        }
        if m.hasPrefix("dall-e-3") { return [OutputSize(1024, 1024), OutputSize(1792, 1024), OutputSize(1024, 1792)] }
        if m.hasPrefix("dall-e-2") { return [OutputSize(256, 256), OutputSize(512, 512), OutputSize(1024, 1024)] }
        if m.hasSuffix("stable-diffusion-xl-1024-v1-0") {
            return [OutputSize(1024, 1024), OutputSize(1152, 896), OutputSize(896, 1152), OutputSize(1216, 832),
                    OutputSize(832, 1216), OutputSize(1344, 768), OutputSize(768, 1344), OutputSize(1536, 640),
                    OutputSize(640, 1536)]
        }
        return nil
    }

    /// The size from `sizes` nearest to `size`: among those of the same orientation (landscape, portrait,
    /// square) when there are any, the closest aspect ratio, then the closest pixel count. `size` itself
    /// when it is in the list or the list is empty.
    public static func nearest(to size: OutputSize, in sizes: [OutputSize]) -> OutputSize {
        guard !sizes.isEmpty, !sizes.contains(size), size.width > 0, size.height > 0 else { return size }
        let same = sizes.filter { $0.orientation == size.orientation }
        let pool = same.isEmpty ? sizes : same
        func distance(_ s: OutputSize) -> (Double, Double) {
            let aspect = abs(log(Double(s.width) / Double(s.height)) - log(Double(size.width) / Double(size.height)))
            let area = abs(log(Double(s.width * s.height) / Double(size.width * size.height)))
            return ((aspect * 1000).rounded() / 1000, area)
        }
        return pool.min { distance($0) < distance($1) } ?? size
    }
}
