import Foundation
internal import CDSP

/// The album cover: the picture, square-cropped, under a band of its own palette with the title set in legible
/// type (contrast checked against the band), plus a 256x256 thumbnail.
enum CoverMaker {
    struct CoverError: Error, CustomStringConvertible {
        var description: String
    }

    /// Where the cover font is looked for: the bundled DejaVu from Debian's fonts-dejavu-core.
    static let fontPaths = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    ]

    static func make(image: RGBAImage, palette: [(UInt8, UInt8, UInt8)], title: String, subtitle: String,
                     to url: URL, thumbnail: URL) throws {
        let size = 1024
        var canvas = [UInt8](repeating: 255, count: size * size * 4)
        // Square centre crop of the picture, resized to the canvas.
        let side = min(image.width, image.height)
        let x0 = (image.width - side) / 2
        let y0 = (image.height - side) / 2
        var crop = [UInt8](repeating: 0, count: side * side * 4)
        image.pixels.withUnsafeBufferPointer { src in
            crop.withUnsafeMutableBufferPointer { dst in
                for y in 0..<side {
                    let from = ((y0 + y) * image.width + x0) * 4
                    dst.baseAddress!.advanced(by: y * side * 4).update(from: src.baseAddress!.advanced(by: from), count: side * 4)
                }
            }
        }
        let status = crop.withUnsafeBufferPointer { src in
            canvas.withUnsafeMutableBufferPointer { dst in
                cdsp_image_resize(src.baseAddress, Int32(side), Int32(side), dst.baseAddress, Int32(size), Int32(size))
            }
        }
        guard status == CDSP_OK else { throw CoverError(description: "cover: resize failed (\(status.rawValue))") }

        // The band: the darkest palette colour (so light type reads on it), fading up into the picture.
        let sorted = palette.sorted { luminance($0) < luminance($1) }
        let band = sorted.first ?? (20, 20, 28)
        let bandTop = 700
        let fadeHeight = 160
        for y in (bandTop - fadeHeight)..<size {
            let t = y < bandTop ? Float(y - (bandTop - fadeHeight)) / Float(fadeHeight) : 1
            let alpha = y < bandTop ? t * t * 0.92 : 0.92
            for x in 0..<size {
                let i = (y * size + x) * 4
                canvas[i] = blend(canvas[i], band.0, alpha)
                canvas[i + 1] = blend(canvas[i + 1], band.1, alpha)
                canvas[i + 2] = blend(canvas[i + 2], band.2, alpha)
                canvas[i + 3] = 255
            }
        }
        // Palette swatches along the bottom edge.
        let swatchHeight = 24
        for (k, colour) in palette.prefix(5).enumerated() {
            let w = size / max(1, min(5, palette.count))
            for y in (size - swatchHeight)..<size {
                for x in (k * w)..<min(size, (k + 1) * w) {
                    let i = (y * size + x) * 4
                    canvas[i] = colour.0
                    canvas[i + 1] = colour.1
                    canvas[i + 2] = colour.2
                }
            }
        }
        // Title type: white or near-black, whichever contrasts more with the band (WCAG contrast ratio).
        let text: (UInt8, UInt8, UInt8) = contrast(band, (255, 255, 255)) >= contrast(band, (18, 18, 18))
            ? (255, 255, 255) : (18, 18, 18)
        guard let fontPath = fontPaths.first(where: { FileManager.default.fileExists(atPath: $0) }),
              let font = cdsp_font_load(fontPath)
        else { throw CoverError(description: "cover: no font found (install fonts-dejavu-core)") }
        defer { cdsp_font_destroy(font) }
        let margin: Float = 64
        var titleSize: Float = 96
        while titleSize > 36 && cdsp_font_text_width(font, title, titleSize) > Float(size) - 2 * margin { titleSize -= 4 }
        canvas.withUnsafeMutableBufferPointer { pixels in
            cdsp_font_draw_text(font, pixels.baseAddress, Int32(size), Int32(size), title, titleSize, margin, 860,
                                text.0, text.1, text.2, 1)
            cdsp_font_draw_text(font, pixels.baseAddress, Int32(size), Int32(size), subtitle, 34, margin, 930,
                                text.0, text.1, text.2, 0.8)
        }
        try write(canvas, size: size, to: url)
        var thumb = [UInt8](repeating: 0, count: 256 * 256 * 4)
        _ = canvas.withUnsafeBufferPointer { src in
            thumb.withUnsafeMutableBufferPointer { dst in
                cdsp_image_resize(src.baseAddress, Int32(size), Int32(size), dst.baseAddress, 256, 256)
            }
        }
        try write(thumb, size: 256, to: thumbnail)
    }

    static func write(_ pixels: [UInt8], size: Int, to url: URL) throws {
        let status = pixels.withUnsafeBufferPointer { cdsp_image_write_png(url.path, $0.baseAddress, Int32(size), Int32(size)) }
        guard status == CDSP_OK else { throw CoverError(description: "cover: cannot write \(url.path)") }
    }

    static func blend(_ a: UInt8, _ b: UInt8, _ t: Float) -> UInt8 {
        UInt8(max(0, min(255, (Float(a) * (1 - t) + Float(b) * t).rounded())))
    }

    /// WCAG relative luminance.
    static func luminance(_ c: (UInt8, UInt8, UInt8)) -> Double {
        func lin(_ v: UInt8) -> Double {
            let s = Double(v) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
    }

    static func contrast(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Double {
        let la = luminance(a), lb = luminance(b)
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }
}
