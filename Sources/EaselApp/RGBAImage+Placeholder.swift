import EaselImaging

extension RGBAImage {
    /// True for the all-black picture safety checkers send in place of a filtered image (fal and Replicate
    /// return one with `has_nsfw_concepts: true`; diffusers' `StableDiffusionSafetyChecker` blacks the image
    /// out: https://github.com/huggingface/diffusers/blob/main/src/diffusers/pipelines/stable_diffusion/safety_checker.py).
    /// Every pixel's red, green and blue are 0, and the image is at least 64 × 64 pixels (a tiny swatch is
    /// not taken for one). Transparent pixels count as black too.
    var isBlackPlaceholder: Bool {
        guard width >= 64, height >= 64 else { return false }
        var i = 0
        while i < pixels.count {
            if pixels[i] != 0 || pixels[i + 1] != 0 || pixels[i + 2] != 0 { return false }
            i += 4
        }
        return true
    }
}
