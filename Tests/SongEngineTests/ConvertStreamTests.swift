import Foundation
import Testing
@testable import SongEngine
import VoiceConvert

/// Issue 4's leftovers: streamed file conversion equals the buffer conversion, parallel conversions are
/// byte-identical to serial ones, and the catalog's vibrato and breath parameters measurably act.
@Suite struct ConvertStreamTests {
    static let rate = 44100

    /// A tone of `harmonics` harmonics of f0 with 1/h amplitudes, 0.25 peak-ish.
    static func tone(f0: Double, seconds: Double, harmonics: Int = 10, level: Double = 0.25) -> [Float] {
        let n = Int(seconds * Double(rate))
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / Double(rate)
            var v = 0.0
            for h in 1...harmonics where Double(h) * f0 < 20000 { v += sin(2 * Double.pi * f0 * Double(h) * t) / Double(h) }
            out[i] = Float(level * v)
        }
        return out
    }

    static func voiceLike(seed: UInt64) -> ConversionSettings {
        var s = ConversionSettings(semitones: Double(seed % 5) - 2, formantSemitones: 1)
        s.tilt = 2
        s.breath = 0.3
        s.vibratoRate = 5.5
        s.vibratoDepth = 40
        s.seed = seed
        return s
    }

    /// Eight stems converted on eight threads at once give exactly the samples of converting them one by one.
    @Test func parallelConversionMatchesSerialBitForBit() throws {
        let stems = (0..<8).map { Self.tone(f0: 150 + 37 * Double($0), seconds: 0.4) }
        let serial = try stems.indices.map {
            try VoiceConverter.convert([stems[$0]], sampleRate: Self.rate, settings: Self.voiceLike(seed: UInt64($0)))[0]
        }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values: [Int: [Float]] = [:]
            var errors: [String] = []
        }
        let results = Results()
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for i in 0..<8 {
            let stem = stems[i]
            group.enter()
            Thread.detachNewThread {
                start.wait()  // all eight begin together
                do {
                    let out = try VoiceConverter.convert([stem], sampleRate: Self.rate, settings: Self.voiceLike(seed: UInt64(i)))[0]
                    results.lock.withLock { results.values[i] = out }
                } catch {
                    results.lock.withLock { results.errors.append("\(error)") }
                }
                group.leave()
            }
        }
        Thread.sleep(forTimeInterval: 0.05)
        for _ in 0..<8 { start.signal() }
        group.wait()
        #expect(results.errors.isEmpty)
        for i in 0..<8 {
            let parallel = results.values[i] ?? []
            #expect(parallel.count == serial[i].count)
            #expect(parallel.elementsEqual(serial[i]) { $0.bitPattern == $1.bitPattern }, "stem \(i) differs")
        }
        // and the stems are really converted differently (seeds and shifts differ)
        #expect(!serial[0].elementsEqual(serial[5]))
    }

    /// A stereo file streamed through convertFile in 8192-frame blocks holds the buffer conversion's samples
    /// (to 24-bit resolution), as many frames as the input, in as many channels.
    @Test func fileStreamMatchesBufferConversion() throws {
        let dir = TestSupport.temporaryDirectory("convert-stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let left = Self.tone(f0: 196, seconds: 0.9), right = Self.tone(f0: 247, seconds: 0.9, harmonics: 6)
        let input = dir.appendingPathComponent("in.wav"), output = dir.appendingPathComponent("out.wav")
        try AudioFile.write(StereoBuffer(left: left, right: right, sampleRate: Self.rate), to: input, format: .wav,
                            wavDepth24: true)
        let settings = Self.voiceLike(seed: 7)
        let frames = try VoiceConverter.convertFile(input: input.path, output: output.path, settings: settings)
        let written = try AudioFile.read(output)
        let source = try AudioFile.read(input)  // the 24-bit quantised input the file path saw
        let expected = try VoiceConverter.convert([source.left, source.right], sampleRate: Self.rate, settings: settings)
        #expect(frames == left.count)
        #expect(written.left.count == left.count && written.sampleRate == Self.rate)
        let lsb: Float = 1.0 / 8_388_608
        let got: [Float] = written.left + written.right, want: [Float] = expected[0] + expected[1]
        let worst: Float = zip(got, want).map { (a: Float, b: Float) -> Float in abs(a - b) }.max() ?? 1
        #expect(worst <= 1.01 * lsb, "largest difference \(worst)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".out.wav.partial").path))
    }

    /// f0 track by autocorrelation (1024-sample frames every 10 ms, lags of +-70 cents around `near`, parabolic
    /// peak), in cents relative to `near`.
    static func f0Track(_ x: [Float], near: Double) -> [Double] {
        let period = Double(rate) / near
        let lo = Int(period * pow(2, -70.0 / 1200)), hi = Int(period * pow(2, 70.0 / 1200)) + 1
        var cents: [Double] = []
        var start = 4410
        while start + 1024 + hi < x.count - 4410 {
            var acf = [Double](repeating: 0, count: hi + 2)
            for lag in (lo - 1)...(hi + 1) {
                var sum = 0.0
                for i in start..<(start + 1024) { sum += Double(x[i]) * Double(x[i + lag]) }
                acf[lag] = sum
            }
            var best = lo
            for lag in lo...hi where acf[lag] > acf[best] { best = lag }
            let a = acf[best - 1], b = acf[best], c = acf[best + 1]
            let den = a - 2 * b + c
            let offset = den < 0 ? 0.5 * (a - c) / den : 0
            cents.append(1200 * log2(period / (Double(best) + offset)))
            start += 441
        }
        return cents
    }

    /// Vibrato 50 cents at 5.5 Hz laid on a steady tone: the f0 track swings +-50 cents (peak deviation measured as
    /// sqrt(2) x RMS, within 15%) at 5.5 Hz (+-0.5, from zero crossings); with depth 0 it stays within 3 cents.
    @Test func vibratoDepthAndRateShowInTheF0Track() throws {
        let input = Self.tone(f0: 220, seconds: 2.2)
        var settings = ConversionSettings(semitones: 0, formantSemitones: 0)
        settings.vibratoRate = 5.5
        settings.vibratoDepth = 50
        let wobbly = try VoiceConverter.convert([input], sampleRate: Self.rate, settings: settings)[0]
        settings.vibratoDepth = 0
        let steady = try VoiceConverter.convert([input], sampleRate: Self.rate, settings: settings)[0]

        let track = Self.f0Track(wobbly, near: 220)
        let mean = track.reduce(0, +) / Double(track.count)
        let depth = 2.0.squareRoot() * (track.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(track.count)).squareRoot()
        var crossings = 0
        for i in 1..<track.count where (track[i - 1] - mean < 0) != (track[i] - mean < 0) { crossings += 1 }
        let seconds = Double(track.count - 1) * 0.01
        let rate = Double(crossings) / (2 * seconds)
        #expect(abs(depth - 50) < 7.5, "measured depth \(depth) cents")
        #expect(abs(rate - 5.5) < 0.5, "measured rate \(rate) Hz")
        #expect(abs(mean) < 3, "mean f0 off by \(mean) cents")

        let flat = Self.f0Track(steady, near: 220)
        let spread = (flat.max() ?? 0) - (flat.min() ?? 0)
        #expect(spread < 3, "steady tone's f0 spread \(spread) cents")
    }

    /// Level in dB of the long-term spectrum at frequency f (Hann-windowed 4096-sample frames, power averaged).
    static func level(_ x: [Float], at f: Double) -> Double {
        var power = 0.0, frames = 0
        var start = 8820
        while start + 4096 < x.count - 4410 {
            var re = 0.0, im = 0.0
            for i in 0..<4096 {
                let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 4096)
                let phase = 2 * Double.pi * f * Double(i) / Double(rate)
                re += Double(x[start + i]) * w * cos(phase)
                im += Double(x[start + i]) * w * sin(phase)
            }
            power += re * re + im * im
            frames += 1
            start += 4096
        }
        return 10 * log10(power / Double(max(frames, 1)) + 1e-30)
    }

    /// Breath raises the floor between the harmonics (1.2-3.4 kHz, midway between harmonics of 220 Hz) while the
    /// harmonics keep their level: by at least 20 dB at breath 0.1, and 0.5 lies about 14 dB (20 log10 5) above 0.1.
    @Test func breathRaisesTheFloorBetweenHarmonics() throws {
        let input = Self.tone(f0: 220, seconds: 1.2, harmonics: 20)
        func converted(_ breath: Double) throws -> [Float] {
            var s = ConversionSettings(semitones: 0, formantSemitones: 0)
            s.breath = breath
            s.seed = 3
            return try VoiceConverter.convert([input], sampleRate: Self.rate, settings: s)[0]
        }
        let dry = try converted(0), light = try converted(0.1), heavy = try converted(0.5)
        let between = stride(from: 5.5, through: 15.5, by: 2).map { $0 * 220 }
        let harmonics = stride(from: 6.0, through: 15, by: 3).map { $0 * 220 }
        func mean(_ x: [Float], _ fs: [Double]) -> Double { fs.map { Self.level(x, at: $0) }.reduce(0, +) / Double(fs.count) }
        let floorDry = mean(dry, between), floorLight = mean(light, between), floorHeavy = mean(heavy, between)
        #expect(floorLight - floorDry > 20, "floor dry \(floorDry) dB, breath 0.1 \(floorLight) dB")
        #expect(abs(floorHeavy - floorLight - 14) < 3, "breath 0.1 \(floorLight) dB, 0.5 \(floorHeavy) dB")
        // the harmonics stay (the noise adds at most ~1 dB at 0.5)
        for f in harmonics {
            #expect(abs(Self.level(heavy, at: f) - Self.level(dry, at: f)) < 1.5, "harmonic at \(f) Hz")
        }
        // and the noise sits well under the harmonics at 0.1: floor at least 15 dB below them
        #expect(mean(light, harmonics) - floorLight > 15)
    }
}
