import CImage
import Foundation

/// An 8-bit RGBA image, row-major, `width × height` pixels, 4 bytes per pixel.
public struct RGBAImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "RGBA buffer must hold width × height × 4 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Encoded image formats Easel reads, sniffed from magic bytes (never from a file name or header).
public enum ImageFormat: String, Sendable {
    case png, jpeg, webp

    /// The format of `bytes`, or `nil` when it is none of PNG, JPEG, WebP.
    public init?(sniffing bytes: [UInt8]) {
        switch cimg_detect(bytes, bytes.count) {
        case CIMG_PNG: self = .png
        case CIMG_JPEG: self = .jpeg
        case CIMG_WEBP: self = .webp
        default: return nil
        }
    }

    /// The usual file extension, without the dot.
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
}

/// Why an image could not be read or written.
public struct ImageError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// A PNG text chunk: `tEXt` (Latin-1) unless `international`, then `iTXt` (UTF-8).
public struct PNGText: Sendable {
    public let key: String
    public let text: String
    public let international: Bool
    public init(key: String, text: String, international: Bool = true) {
        self.key = key
        self.text = text
        self.international = international
    }
}

/// The only Swift file that calls the `CImage` seam (libpng, TurboJPEG, libwebp).
public enum ImageCodec {
    /// The default decode limit: 40 megapixels (a 30000×30000 "bomb" is refused before allocation).
    public static let defaultMaxPixels = 40_000_000

    /// The default limit on either side: 16384 pixels (libwebp's own maximum; larger PNG/JPEG
    /// images are refused before decoding).
    public static let defaultMaxDimension = 16_384

    /// Width and height from the header, checked against the limits before a single pixel is decoded
    /// (a 30000 × 30000 PNG "bomb" is 100 bytes on the wire and 3.6 GB in memory).
    /// - Parameter maxPixels: most pixels (width × height) accepted; default 40 megapixels.
    /// - Parameter maxDimension: most pixels on either side; default 16384.
    /// - Returns: width and height in pixels, both at least 1.
    /// - Throws: `ImageError` for an unreadable header, a zero size, or an image over either limit
    ///   (the message gives the declared size and the limit).
    public static func checkedDimensions(of bytes: [UInt8], maxPixels: Int = defaultMaxPixels,
                                         maxDimension: Int = defaultMaxDimension) throws(ImageError) -> (width: Int, height: Int) {
        let (w, h) = try dimensions(of: bytes)
        guard w > 0, h > 0 else { throw ImageError("the image header declares a zero size (\(w)×\(h))") }
        guard w <= maxDimension, h <= maxDimension else {
            throw ImageError("the image is \(w)×\(h) pixels; the limit is \(maxDimension) pixels per side")
        }
        guard w.multipliedReportingOverflow(by: h).partialValue <= maxPixels else {
            throw ImageError("the image is \(w)×\(h) pixels; the limit is \(maxPixels) pixels in all")
        }
        return (w, h)
    }

    /// Width and height in pixels, read from the header only.
    /// - Throws: `ImageError` when the bytes are not a PNG, JPEG or WebP header.
    public static func dimensions(of bytes: [UInt8]) throws(ImageError) -> (width: Int, height: Int) {
        var w: Int32 = 0, h: Int32 = 0
        var err: UnsafePointer<CChar>? = nil
        guard cimg_dimensions(bytes, bytes.count, &w, &h, &err) == 0 else {
            throw ImageError(err.map { String(cString: $0) } ?? "unreadable image header")
        }
        return (Int(w), Int(h))
    }

    /// Decodes PNG, JPEG or WebP into RGBA.
    /// - Parameter maxPixels: images whose header declares more pixels are refused before decoding.
    /// - Throws: `ImageError` for unknown formats, truncated or corrupt data, or oversize images.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws(ImageError) -> RGBAImage {
        var w: Int32 = 0, h: Int32 = 0
        var err: UnsafePointer<CChar>? = nil
        guard let p = cimg_decode_rgba(bytes, bytes.count, UInt64(maxPixels), &w, &h, &err) else {
            throw ImageError(err.map { String(cString: $0) } ?? "decode failed")
        }
        defer { cimg_free(p) }
        return RGBAImage(width: Int(w), height: Int(h), pixels: Array(UnsafeBufferPointer(start: p, count: Int(w) * Int(h) * 4)))
    }

    /// Encodes `image` as PNG with the given text chunks.
    public static func encodePNG(_ image: RGBAImage, text: [PNGText] = []) throws(ImageError) -> [UInt8] {
        try withCTexts(text) { (entries: [cimg_text]) throws(ImageError) -> [UInt8] in
            var len = 0
            var err: UnsafePointer<CChar>? = nil
            guard let p = cimg_encode_png_rgba(image.pixels, Int32(image.width), Int32(image.height), entries,
                                               Int32(entries.count), &len, &err) else {
                throw ImageError(err.map { String(cString: $0) } ?? "PNG encode failed")
            }
            defer { cimg_free(p) }
            return Array(UnsafeBufferPointer(start: p, count: len))
        }
    }

    /// Returns `png` with text chunks inserted after `IHDR`; every other byte is kept as it was.
    /// - Throws: `ImageError` when `png` is not a PNG or a key is not 1–79 bytes.
    public static func insertingText(_ text: [PNGText], into png: [UInt8]) throws(ImageError) -> [UInt8] {
        try withCTexts(text) { (entries: [cimg_text]) throws(ImageError) -> [UInt8] in
            var len = 0
            var err: UnsafePointer<CChar>? = nil
            guard let p = cimg_png_insert_text(png, png.count, entries, Int32(entries.count), &len, &err) else {
                throw ImageError(err.map { String(cString: $0) } ?? "PNG text insert failed")
            }
            defer { cimg_free(p) }
            return Array(UnsafeBufferPointer(start: p, count: len))
        }
    }

    /// The text of the first `tEXt`, `zTXt` or `iTXt` chunk named `key`, or `nil`.
    public static func pngText(_ png: [UInt8], key: String) -> String? {
        guard let p = cimg_png_get_text(png, png.count, key) else { return nil }
        defer { cimg_free(p) }
        return String(cString: p)
    }

    /// JPEG (TurboJPEG), for tests and benchmarks. `quality` 1...100.
    public static func encodeJPEG(_ image: RGBAImage, quality: Int = 90) -> [UInt8]? {
        var len = 0
        guard let p = cimg_encode_jpeg_rgba(image.pixels, Int32(image.width), Int32(image.height), Int32(quality), &len) else { return nil }
        defer { cimg_free(p) }
        return Array(UnsafeBufferPointer(start: p, count: len))
    }

    /// Lossy WebP (libwebp), for tests and benchmarks. `quality` 0...100.
    public static func encodeWebP(_ image: RGBAImage, quality: Float = 80) -> [UInt8]? {
        var len = 0
        guard let p = cimg_encode_webp_rgba(image.pixels, Int32(image.width), Int32(image.height), quality, &len) else { return nil }
        defer { cimg_free(p) }
        return Array(UnsafeBufferPointer(start: p, count: len))
    }

    private static func withCTexts<R>(_ text: [PNGText], _ body: ([cimg_text]) throws(ImageError) -> R) throws(ImageError) -> R {
        let keys = text.map { strdup($0.key)! }, values = text.map { strdup($0.text)! }
        defer { keys.forEach { free($0) }; values.forEach { free($0) } }
        let entries = text.indices.map { cimg_text(key: keys[$0], text: values[$0], international: text[$0].international ? 1 : 0) }
        return try body(entries)
    }
}
