import Foundation
import Testing
@testable import SongEngine

/// Runs the analysis and the planner over real photos decoded to raw RGBA (a little-endian UInt32 width, UInt32
/// height, then the pixels) in the folder named by CHROMASONG_RAW_PHOTOS; skipped without it. Prints one line per
/// photo and checks the product requirement: at least 4 distinct styles and a tempo spread of at least 40 bpm.
@Suite struct AnalysisPhotoTests {
    static let folder = ProcessInfo.processInfo.environment["CHROMASONG_RAW_PHOTOS"]

    static func load(_ url: URL) throws -> RGBAImage {
        let data = try Data(contentsOf: url)
        let w = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
        let h = Int(data[4]) | Int(data[5]) << 8 | Int(data[6]) << 16 | Int(data[7]) << 24
        return RGBAImage(width: w, height: h, pixels: [UInt8](data[8...]))
    }

    @Test(.enabled(if: folder != nil)) func photosSpreadOverStyles() throws {
        let dir = URL(fileURLWithPath: Self.folder!)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".rgba") }.sorted()
        let library = try StyleLibrary.loadDefault()
        var styles = Set<String>()
        var tempi: [Int] = []
        for file in files {
            let image = try Self.load(dir.appendingPathComponent(file))
            let f = ImageAnalyzer.analyze(image)
            print(String(format: "%-12@ L %5.1f sd %4.1f sat %.2f M %5.1f warm %+.2f edge %.3f ang %.2f hue %3.0f ",
                         file as NSString, f.meanLightness, f.lightnessContrast, f.meanSaturation, f.colourfulness,
                         f.warmth, f.edgeDensity, f.angularity, f.dominantHue)
                  + f.palette.map { "\($0.name) \(Int($0.share * 100))%" }.joined(separator: ", "))
            let plan = try Planner.plan(features: f, steering: Steering(), styles: library, seed: 1)
            print(String(format: "    -> v %+.2f a %+.2f ", plan.valence, plan.arousal)
                  + "\(plan.style) \(plan.bpm) bpm \(plan.key), \(plan.totalBars) bars")
            if file.hasPrefix("storm") {
                for d in plan.decisions { print("      \(d.name) = \(d.value): \(d.reason)") }
            }
            styles.insert(plan.style)
            tempi.append(plan.bpm)
        }
        print("styles: \(styles.sorted()), tempo \(tempi.min()!)...\(tempi.max()!)")
        #expect(styles.count >= 4)
        #expect(tempi.max()! - tempi.min()! >= 40)
    }
}
