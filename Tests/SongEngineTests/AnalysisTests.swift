import Foundation
import Testing
@testable import SongEngine

/// Synthetic images for the analysis tests.
enum TestImages {
    static func flat(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255, width: Int = 64, height: Int = 48) -> RGBAImage {
        var px = [UInt8](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            px[4 * i] = r; px[4 * i + 1] = g; px[4 * i + 2] = b; px[4 * i + 3] = a
        }
        return RGBAImage(width: width, height: height, pixels: px)
    }

    /// Any picture given by a function of (x, y) -> RGB.
    static func make(width: Int, height: Int, _ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> RGBAImage {
        var px = [UInt8](repeating: 255, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = colour(x, y)
                let i = 4 * (y * width + x)
                px[i] = r; px[i + 1] = g; px[i + 2] = b
            }
        }
        return RGBAImage(width: width, height: height, pixels: px)
    }

    /// Vertical stripes of two colours, `period` pixels per pair.
    static func stripes(period: Int, _ c1: (UInt8, UInt8, UInt8), _ c2: (UInt8, UInt8, UInt8), width: Int = 256,
                        height: Int = 192) -> RGBAImage {
        make(width: width, height: height) { x, _ in (x % period) < period / 2 ? c1 : c2 }
    }

    /// sRGB bytes of a CIE Lab colour.
    static func lab(_ L: Double, _ a: Double, _ b: Double) -> (UInt8, UInt8, UInt8) {
        let c = ImageAnalyzer.labToSRGB(L, a, b)
        return (UInt8((c.r * 255).rounded()), UInt8((c.g * 255).rounded()), UInt8((c.b * 255).rounded()))
    }

    /// A photo-like textured image: a base colour with value noise of the given amplitude, from a seed.
    static func textured(base: (Double, Double, Double), amplitude: Double, seed: UInt64, width: Int = 200,
                         height: Int = 150) -> RGBAImage {
        var rng = SeededGenerator(seed: seed)
        return make(width: width, height: height) { _, _ in
            let n = (rng.unit() - 0.5) * 2 * amplitude
            func ch(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v + n) * 255)).rounded()) }
            return (ch(base.0), ch(base.1), ch(base.2))
        }
    }
}

@Suite struct AnalysisFeatureTests {
    @Test func whiteIsLightAndGrey() {
        let f = ImageAnalyzer.analyze(TestImages.flat(255, 255, 255))
        #expect(abs(f.meanLightness - 100) < 0.01)
        #expect(f.meanSaturation == 0)
        #expect(f.colourfulness < 0.01)
        #expect(f.lightnessContrast < 0.01)
        #expect(f.edgeDensity == 0)
        #expect(abs(f.warmth) < 0.01)
        #expect(f.palette.count == 1 && f.palette[0].name == "white" && f.palette[0].hex == "#FFFFFF")
        #expect(f.verticalProfile == [Double](repeating: 0.5, count: 8))
        #expect(f.width == 64 && f.height == 48)
    }

    @Test func blackAndTransparent() {
        let black = ImageAnalyzer.analyze(TestImages.flat(0, 0, 0))
        #expect(black.meanLightness < 0.01)
        #expect(black.palette.first?.name == "black")
        // Fully transparent pixels are composited over white.
        let clear = ImageAnalyzer.analyze(TestImages.flat(0, 0, 0, 0))
        #expect(abs(clear.meanLightness - 100) < 0.01)
        // Half-transparent black over white: linear-light 50% grey, L* ~76.
        let half = ImageAnalyzer.analyze(TestImages.flat(0, 0, 0, 128))
        #expect(abs(half.meanLightness - 76.2) < 1)
    }

    @Test func pureRedIsWarmSaturatedAndRed() {
        let f = ImageAnalyzer.analyze(TestImages.flat(255, 0, 0))
        #expect(f.warmth > 0.5)
        #expect(abs(f.meanSaturation - 1) < 1e-9)
        #expect(abs(f.meanLightness - 53.24) < 0.1)  // sRGB red, CIE L*
        #expect(f.dominantHue < 1 || f.dominantHue > 359)
        #expect(abs(f.colourfulness - 85.5) < 0.1)  // flat: 0.3 * |(255, 127.5)|
        #expect(f.palette.first?.name == "red")
    }

    @Test func blueIsCoolAndYellowIsGolden() {
        let blue = ImageAnalyzer.analyze(TestImages.flat(30, 60, 200))
        #expect(blue.warmth < -0.5)
        #expect(abs(blue.dominantHue - 229) < 3)
        #expect(blue.palette.first!.name.hasSuffix("blue"))
        let yellow = ImageAnalyzer.analyze(TestImages.flat(240, 190, 30))
        #expect(yellow.warmth > 0.5)
        #expect(yellow.palette.first?.name == "golden yellow")
        let leaf = ImageAnalyzer.analyze(TestImages.flat(90, 160, 40))
        #expect(leaf.palette.first?.name == "leaf green")
        #expect(leaf.warmth < yellow.warmth && leaf.warmth > blue.warmth)
    }

    @Test func stripesHaveEdgesAndAngularityFlatHasNone() {
        let flat = ImageAnalyzer.analyze(TestImages.flat(128, 128, 128, width: 256, height: 192))
        let stripes = ImageAnalyzer.analyze(TestImages.stripes(period: 8, (20, 20, 20), (235, 235, 235)))
        let wide = ImageAnalyzer.analyze(TestImages.stripes(period: 64, (20, 20, 20), (235, 235, 235)))
        #expect(flat.edgeDensity == 0)
        #expect(stripes.edgeDensity > 0.4)
        #expect(wide.edgeDensity > 0.02 && wide.edgeDensity < stripes.edgeDensity / 4)
        #expect(stripes.angularity > 0.9)
        // Concentric rings: as many edges, in every direction: rounded, not angular.
        let rings = ImageAnalyzer.analyze(TestImages.make(width: 256, height: 192) { x, y in
            let d = (Double((x - 128) * (x - 128) + (y - 96) * (y - 96))).squareRoot()
            let v = UInt8((127.5 + 110 * sin(d * 2 * .pi / 12)).rounded())
            return (v, v, v)
        })
        #expect(rings.edgeDensity > 0.2)
        #expect(rings.angularity < 0.5)
        #expect(rings.angularity < stripes.angularity - 0.4)
    }

    @Test func verticalProfileFollowsBrightness() {
        // Light sky on top, dark ground below.
        let f = ImageAnalyzer.analyze(TestImages.make(width: 120, height: 160) { _, y in
            let v = UInt8(255 - y * 255 / 159)
            return (v, v, v)
        })
        #expect(f.verticalProfile.count == 8)
        #expect(f.verticalProfile.first == 1 && f.verticalProfile.last == 0)
        #expect(zip(f.verticalProfile, f.verticalProfile.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test func paletteFindsTwoHalves() {
        let f = ImageAnalyzer.analyze(TestImages.make(width: 100, height: 100) { x, _ in
            x < 50 ? (220, 30, 30) : (30, 60, 200)
        })
        let big = f.palette.filter { $0.share > 0.3 }
        #expect(big.count == 2)
        #expect(abs(f.palette.reduce(0) { $0 + $1.share } - 1) < 1e-9)
        #expect(Set(big.map(\.name)) == ["red", "deep blue"])
        #expect(f.lightnessContrast > 5)
    }

    @Test func oddSizesAndDownscaling() {
        let tiny = ImageAnalyzer.analyze(TestImages.flat(10, 200, 10, width: 1, height: 1))
        #expect(tiny.width == 1 && tiny.palette.count == 1 && tiny.verticalProfile.count == 8)
        let strip = ImageAnalyzer.analyze(TestImages.flat(10, 200, 10, width: 2000, height: 3))
        #expect(abs(strip.meanLightness - tiny.meanLightness) < 0.01)
        // A 1024-px image analyses the same as its 256-px box-filtered equivalent.
        let big = TestImages.stripes(period: 16, (200, 40, 40), (40, 40, 200), width: 1024, height: 512)
        let small = TestImages.stripes(period: 4, (200, 40, 40), (40, 40, 200), width: 256, height: 128)
        let fb = ImageAnalyzer.analyze(big), fs = ImageAnalyzer.analyze(small)
        #expect(abs(fb.meanLightness - fs.meanLightness) < 0.5)
        #expect(abs(fb.warmth - fs.warmth) < 0.02)
    }

    @Test func analysesAFullSizeImage() {
        // 800x600 noise. Its speed is engine-bench's to measure ("analysis" stage), not a timed unit test's.
        let image = TestImages.textured(base: (0.4, 0.5, 0.3), amplitude: 0.3, seed: 7, width: 800, height: 600)
        let f = ImageAnalyzer.analyze(image)
        #expect(f.width == 800 && f.height == 600)
        #expect(f.meanLightness.isFinite && f.warmth.isFinite)
    }
}
