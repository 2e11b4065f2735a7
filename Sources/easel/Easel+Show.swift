import ArgumentParser
import EaselApp
import EaselCore
import EaselImaging
import EaselTerminal
import Foundation

extension Easel {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an image in the terminal, fitted into a pixel box (the preview pane's code path).")

        @Argument(help: "A PNG, JPEG or WebP file.")
        var file: String

        @OptionGroup var preview: PreviewOptions

        @Option(help: "Box width in pixels, 1...8192 (default: the terminal's width).")
        var width: Int?

        @Option(help: "Box height in pixels, 1...8192 (default: the terminal's height less two rows).")
        var height: Int?

        /// Past 8192 px (wider than an 8K screen) the scaled picture alone took gigabytes and the process aborted.
        func validate() throws {
            if let width, !(1...8192).contains(width) { throw ValidationError("--width must be within 1...8192 pixels") }
            if let height, !(1...8192).contains(height) { throw ValidationError("--height must be within 1...8192 pixels") }
        }

        mutating func run() async throws {
            var st = stat()
            if stat(file, &st) == 0 {
                if (st.st_mode & S_IFMT) == S_IFDIR { throw CLIError("\(file): is a folder, not an image file") }
                if (st.st_mode & S_IFMT) != S_IFREG { throw CLIError("\(file): not a regular file (a device, pipe or socket)") }
            }
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                let errno = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code
                throw CLIError("\(file): " + (errno.map { String(cString: strerror(Int32($0))) } ?? (error as NSError).localizedDescription))
            }
            let image: RGBAImage
            do { image = try ImageCodec.decode(bytes) } catch { throw CLIError("\(file): \(error.message)") }
            let config = try preview.loadConfig()
            let tty = isatty(STDOUT_FILENO) != 0
            let timeout = preview.probeTimeout ?? config.probeTimeout ?? 1
            let caps = tty ? TerminalProbe.run(timeout: .seconds(milliseconds: timeout)) : TerminalCapabilities()
            let graphics = preview.graphics ?? config.graphics ?? .auto
            let choice = graphics == .auto && !tty ? .blocks : graphics
            guard let selected = choice.resolve(caps, colors: preview.sixelColors ?? config.sixelColors ?? 256, inline: true) else {
                throw CLIError("pictures are off (--graphics none)")
            }
            let cell = caps.cellPixels
            let columns = caps.windowCells.columns > 0 ? caps.windowCells.columns : 80
            let rows = caps.windowCells.rows > 0 ? caps.windowCells.rows : 24
            let box = PixelSize(width: width ?? columns * cell.width, height: height ?? max(1, rows - 2) * cell.height)
            let encoded: EncodedImage
            do { encoded = try selected.graphics.encode(image, fitting: box, cell: cell) }
            catch { throw CLIError("\(file): \(error.message)") }
            TerminalIO.writeAll(STDOUT_FILENO, ImagePresenter.inline(encoded, passthrough: selected.passthrough))
        }
    }
}
