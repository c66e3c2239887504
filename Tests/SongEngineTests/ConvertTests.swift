import Foundation
import Testing
@testable import SongEngine
import VoiceConvert

/// `chromasong convert` (issue 4): clear one-line rejections, and a conversion that measurably moves the pitch.
@Suite(.serialized) struct ConvertTests {
    /// A mono 16-bit WAV of a 220 Hz tone with 10 harmonics.
    static func toneWAV(to url: URL, seconds: Double = 1.5, sampleRate: Int = 44100) throws {
        let frames = Int(seconds * Double(sampleRate))
        var samples = [Float](repeating: 0, count: frames)
        for i in 0..<frames {
            let t = Double(i) / Double(sampleRate)
            var v = 0.0
            for h in 1...10 { v += sin(2 * Double.pi * 220 * Double(h) * t) / Double(h) }
            samples[i] = Float(0.25 * v)
        }
        try AudioFile.write(StereoBuffer(left: samples, right: samples, sampleRate: sampleRate), to: url, format: .wav)
    }

    @Test(arguments: [
        (["missing.wav", "out.wav"], "input"),
        (["not-a-wav.wav", "out.wav"], "input"),
        (["tone.wav", "out.wav", "--semitones", "25"], "semitones"),
        (["tone.wav", "out.wav", "--semitones", "-30"], "semitones"),
        (["tone.wav", "out.wav", "--formant-semitones", "24.5"], "formant_semitones"),
        (["tone.wav", "out.wav", "--voice", "nobody"], "voice"),
    ])
    func rejectsWithOneLine(arguments: [String], field: String) throws {
        let dir = TestSupport.temporaryDirectory("convert-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("plain text, not audio\n".utf8).write(to: dir.appendingPathComponent("not-a-wav.wav"))
        try Self.toneWAV(to: dir.appendingPathComponent("tone.wav"), seconds: 0.2)
        let args = ["convert"] + arguments.map { $0.hasSuffix(".wav") ? dir.appendingPathComponent($0).path : $0 }
        let result = try TestSupport.run(TestSupport.cli, args)
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(field):"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.wav").path))
    }

    /// +4 semitones moves the tone's fundamental from 220 Hz to 277.2 Hz (within 2 cents by a DFT peak search).
    @Test func shiftsThePitch() throws {
        let dir = TestSupport.temporaryDirectory("convert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("tone.wav"), output = dir.appendingPathComponent("up.wav")
        try Self.toneWAV(to: input)
        let result = try TestSupport.run(TestSupport.cli, ["convert", input.path, output.path, "--semitones", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        let audio = try AudioFile.read(output)
        let f0 = Self.peakFrequency(Array(audio.left[11025..<55125]), sampleRate: 44100, around: 277.18)
        #expect(abs(1200 * log2(f0 / 277.18)) < 2, "measured \(f0) Hz")
    }

    /// Frequency of the strongest DFT bin near `around` (+-8%), refined to 0.01 Hz by a golden-section search.
    static func peakFrequency(_ x: [Float], sampleRate: Double, around: Double) -> Double {
        func power(_ f: Double) -> Double {
            var re = 0.0, im = 0.0
            for (i, v) in x.enumerated() {
                let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(x.count - 1))
                re += Double(v) * w * cos(2 * Double.pi * f * Double(i) / sampleRate)
                im += Double(v) * w * sin(2 * Double.pi * f * Double(i) / sampleRate)
            }
            return re * re + im * im
        }
        var best = around, bestPower = 0.0
        var f = around * 0.92
        while f <= around * 1.08 {
            let p = power(f)
            if p > bestPower { bestPower = p; best = f }
            f += 0.5
        }
        var lo = best - 0.5, hi = best + 0.5
        for _ in 0..<20 {
            let m1 = lo + (hi - lo) * 0.382, m2 = lo + (hi - lo) * 0.618
            if power(m1) > power(m2) { hi = m2 } else { lo = m1 }
        }
        return (lo + hi) / 2
    }
}
