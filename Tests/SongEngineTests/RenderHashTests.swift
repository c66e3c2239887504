import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SongEngine

/// Issue 10: restructuring must not change a sound. A fixed set of requests (sung, instrumental, vocal-only, a
/// catalog voice) is rendered and every output file hashed; the hashes were taken before the restructuring began.
///
/// The hashes hold on the platform they were taken on: Debian 12 (glibc 2.36), Swift 6.3.1, x86-64 with AVX-512
/// (AMD EPYC), the machine CI runs on. Elsewhere the last bits of the audio move: the C core's expf/sinf/powf are
/// glibc's (Debian 13's glibc 2.41 changes the sung and instrumental WAV files, nothing else), and the "voice" case
/// runs the vocal through FFTW, whose SIMD code depends on the CPU. So every WAV file also carries a fingerprint
/// (RMS of 48 equal blocks, dB). On the reference glibc every file must match its hash, but the "voice" case's WAV
/// files and manifest may instead match their fingerprints (a CPU without AVX-512); on any other glibc every WAV
/// file and the manifest may do so. A fingerprint matches within 0.05 dB in every block. Every other file (MIDI,
/// lyrics, cover) must match its hash everywhere. The fingerprints of the "voice" case were taken on the reference;
/// the others on Debian 13 with its Swift 6.0.3, whose "voice" fingerprints equal the reference's to 0.001 dB.
///
/// A change that is meant to change the sound (say, a fixed disagreement between the Swift and C defaults) updates
/// the hashes in the same commit and says which request moved and why. Issue 15 moved "sung", "vocal-only" and
/// "voice" (and the ducked instrumental stems beside their vocals): the singer sings from flite's vocoder frames
/// and the male voice is rms; their fingerprints were then taken on the reference platform. They moved again when
/// CDSP's own vocoder replaced flite's MLSA vocoder in the singer: it runs FFTW with SIMD turned off
/// (FFTW_NO_SIMD), so the sung cases stay the same bytes on every x86-64 CPU. MP3 files are left out: their bytes
/// are LAME's, and a different LAME build may encode the same samples differently; the WAV files carry the samples.
@Suite(.serialized) struct RenderHashTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var request: SongRequest
        /// Goes through FFTW (see above).
        var cpuDependent = false
        var testDescription: String { name }
    }

    static let image = ImageSource.file(TestSupport.example.path)
    static let cases: [Case] = [
        Case(name: "sung", request: SongRequest(image: image, seed: 7, duration: 12, formats: [.wav])),
        Case(name: "instrumental", request: SongRequest(image: image, makeInstrumental: true, seed: 8, duration: 12,
                                                        formats: [.wav])),
        Case(name: "vocal-only", request: SongRequest(image: image, vocalOnly: true, seed: 9, duration: 12,
                                                      versions: 1, formats: [.wav])),
        Case(name: "voice", request: SongRequest(image: image, lyrics: "[Verse]\nthe light is on the water\nand we are going home",
                                                 voiceId: "bruno", seed: 10, duration: 12, versions: 1,
                                                 formats: [.wav]), cpuDependent: true),
    ]

    /// FNV-1a, 64 bits: enough to see that bytes changed (this is not a security check).
    static func fnv1a(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }

    /// Every file of a render folder, by relative path, hashed.
    static func hashes(of directory: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        let base = directory.standardizedFileURL.path
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = files?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            out[relative] = fnv1a(try Data(contentsOf: url))
        }
        return out
    }

    static let expected: [String: [String: String]] = [
        "sung": [
            "cover.png": "f03a313bb7b43de3",
            "cover_thumb.png": "27abb9ac8be471ad",
            "lyrics-v1.lrc": "291877ef841f36f9",
            "lyrics-v2.lrc": "291877ef841f36f9",
            "manifest.json": "2962bc8fec1dc343",
            "v1/instrumental.wav": "39cb5eb29afd3135",
            "v1/mix.wav": "42f05a2b262a7cf9",
            "v1/song.mid": "c86042adfcb82067",
            "v1/vocals.wav": "230013c88bf349f4",
            "v2/instrumental.wav": "fdef17111c112f1c",
            "v2/mix.wav": "f72dab428cb5242e",
            "v2/song.mid": "338c8c03da329ca2",
            "v2/vocals.wav": "aebd0aa743658650",
        ],
        "instrumental": [
            "cover.png": "dd48c0783bae79fe",
            "cover_thumb.png": "42929e14f1f08f13",
            "manifest.json": "d0cc0d066c4ea9ba",
            "v1/instrumental.wav": "d3f7582ec4928b4",
            "v1/mix.wav": "d3f7582ec4928b4",
            "v1/song.mid": "b831ab42bce58b41",
            "v2/instrumental.wav": "98ab4c7acc7906f2",
            "v2/mix.wav": "98ab4c7acc7906f2",
            "v2/song.mid": "f66732e384bdc6f3",
        ],
        "vocal-only": [
            "cover.png": "f03a313bb7b43de3",
            "cover_thumb.png": "27abb9ac8be471ad",
            "lyrics-v1.lrc": "291877ef841f36f9",
            "manifest.json": "3144d56419418912",
            "v1/mix.wav": "55ddc20efc8b741",
            "v1/song.mid": "6db0d90591a9266",
            "v1/vocals.wav": "55ddc20efc8b741",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "7e08b70256f6a280",
            "v1/instrumental.wav": "144b637c8a75360c",
            "v1/mix.wav": "dea10c89f7896897",
            "v1/song.mid": "ef58176b0ac4305f",
            "v1/vocals.wav": "1a274114a1dc142f",
        ],
    ]

    /// The platform the hashes were taken on (see above), and this one.
    static let referenceLibc = "2.36"
    static let libcVersion: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return "unknown" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.replacingOccurrences(of: "glibc ", with: "")
    }()

    /// RMS in dB of `blocks` equal blocks of both channels.
    static func fingerprint(_ url: URL, blocks: Int = 48) throws -> [Double] {
        let audio = try AudioFile.read(url)
        let n = audio.left.count / blocks
        return (0..<blocks).map { b in
            var sum = 0.0
            for i in b * n..<(b + 1) * n {
                sum += Double(audio.left[i]) * Double(audio.left[i]) + Double(audio.right[i]) * Double(audio.right[i])
            }
            return 10 * log10(max(1e-12, sum / Double(2 * max(1, n))))
        }
    }

    /// By "case/file".
    static let fingerprints: [String: [Double]] = [
        "instrumental/v1/instrumental.wav": [-16.292, -16.806, -16.87, -17.727, -17.205, -16.005, -16.282, -16.45, -17.136, -15.656, -15.387, -17.804, -18.958, -15.804, -16.068, -15.023, -18.267, -16.688, -15.896, -17.636, -17.002, -18.169, -15.496, -16.282, -15.983, -17.116, -15.05, -16.791, -16.112, -17.906, -14.584, -15.491, -16.339, -16.297, -16.005, -17.567, -19.009, -24.996, -35.896, -47.278, -58.262, -70.494, -81.284, -90.997, -93.019, -93.305, -93.301, -93.361],
        "instrumental/v1/mix.wav": [-16.292, -16.806, -16.87, -17.727, -17.205, -16.005, -16.282, -16.45, -17.136, -15.656, -15.387, -17.804, -18.958, -15.804, -16.068, -15.023, -18.267, -16.688, -15.896, -17.636, -17.002, -18.169, -15.496, -16.282, -15.983, -17.116, -15.05, -16.791, -16.112, -17.906, -14.584, -15.491, -16.339, -16.297, -16.005, -17.567, -19.009, -24.996, -35.896, -47.278, -58.262, -70.494, -81.284, -90.997, -93.019, -93.305, -93.301, -93.361],
        "instrumental/v2/instrumental.wav": [-16.343, -17.732, -15.245, -15.779, -17.835, -16.223, -17.63, -15.958, -15.847, -17.129, -16.008, -18.397, -17.495, -16.202, -15.13, -15.237, -19.797, -18.272, -15.014, -15.16, -16.747, -17.726, -17.405, -15.233, -15.237, -17.514, -16.244, -18.468, -15.92, -15.997, -15.911, -14.761, -18.424, -18.15, -15.941, -16.083, -19.709, -27.31, -39.071, -50.115, -60.623, -73.523, -83.838, -92.083, -93.169, -93.327, -93.297, -93.361],
        "instrumental/v2/mix.wav": [-16.343, -17.732, -15.245, -15.779, -17.835, -16.223, -17.63, -15.958, -15.847, -17.129, -16.008, -18.397, -17.495, -16.202, -15.13, -15.237, -19.797, -18.272, -15.014, -15.16, -16.747, -17.726, -17.405, -15.233, -15.237, -17.514, -16.244, -18.468, -15.92, -15.997, -15.911, -14.761, -18.424, -18.15, -15.941, -16.083, -19.709, -27.31, -39.071, -50.115, -60.623, -73.523, -83.838, -92.083, -93.169, -93.327, -93.297, -93.361],
        "sung/v1/instrumental.wav": [-17.744, -24.454, -18.639, -19.11, -24.036, -18.038, -25.138, -20.471, -18.703, -21.535, -16.49, -24.555, -27.107, -18.039, -18.831, -18.055, -24.531, -25.035, -17.779, -18.838, -20.511, -19.746, -24.543, -18.318, -19.04, -24.457, -17.729, -24.812, -18.784, -19.225, -22.44, -16.191, -21.673, -22.943, -16.063, -17.789, -24.961, -33.557, -44.494, -55.656, -67.216, -78.646, -88.611, -93.099, -93.305, -93.338, -93.302, -93.366],
        "sung/v1/mix.wav": [-14.071, -17.171, -16.21, -14.992, -17.771, -15.357, -19.271, -16.906, -14.918, -19.983, -15.659, -18.111, -19.848, -14.729, -17.504, -15.016, -18.395, -17.671, -14.604, -17.168, -17.682, -16.258, -17.46, -16.736, -17.133, -19.717, -15.573, -19.061, -15.375, -15.9, -21.488, -15.563, -19.357, -19.985, -15.38, -16.819, -22.197, -30.246, -41.062, -52.205, -63.765, -75.27, -86.032, -92.841, -93.267, -93.34, -93.305, -93.367],
        "sung/v1/vocals.wav": [-17.148, -18.226, -19.481, -15.394, -19.205, -17.706, -19.666, -23.697, -16.723, -19.966, -52.579, -28.338, -20.152, -22.278, -16.144, -26.802, -17.77, -20.039, -20.771, -17.901, -21.854, -52.174, -17.991, -18.856, -19.3, -23.778, -23.863, -23.291, -19.088, -21.538, -17.187, -17.508, -49.589, -62.016, -74.207, -88.028, -93.093, -93.254, -93.364, -93.318, -93.309, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-19.977, -20.387, -20.567, -23.183, -21.45, -19.97, -20.565, -21.587, -23.94, -19.697, -19.123, -20.925, -25.614, -20.008, -20.485, -20.351, -26.432, -20.161, -20.036, -20.161, -21.872, -21.916, -19.987, -20.577, -21.271, -23.996, -19.86, -20.515, -20.851, -25.704, -19.774, -18.93, -19.04, -23.795, -19.087, -18.578, -27.579, -37.312, -48.044, -58.799, -69.92, -81.711, -90.656, -93.112, -93.331, -93.341, -93.303, -93.364],
        "sung/v2/mix.wav": [-14.578, -16.719, -16.703, -15.172, -16.216, -16.399, -16.735, -17.448, -16.382, -17.313, -16.732, -16.692, -19.484, -14.989, -17.769, -15.67, -19.056, -15.616, -15.458, -17.298, -17.704, -16.816, -16.981, -17.189, -17.278, -19.65, -16.396, -17.513, -15.659, -17.354, -17.313, -16.697, -17.792, -20.891, -17.014, -16.495, -24.183, -33.003, -43.571, -54.301, -65.43, -77.401, -88.014, -92.788, -93.285, -93.342, -93.307, -93.363],
        "sung/v2/vocals.wav": [-18.749, -21.141, -21.729, -17.049, -20.575, -17.026, -20.08, -23.343, -17.831, -21.411, -52.529, -27.076, -20.83, -21.926, -17.791, -24.225, -17.521, -22.192, -22.377, -16.933, -23.572, -53.996, -19.673, -21.534, -23.077, -21.743, -23.047, -23.897, -21.152, -21.356, -17.734, -20.083, -50.982, -63.768, -78.791, -91.094, -93.232, -93.266, -93.361, -93.319, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.779, -15.759, -17.704, -14.922, -18.023, -17.256, -16.811, -18.421, -15.191, -18.132, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.779, -15.759, -17.704, -14.922, -18.023, -17.256, -16.811, -18.421, -15.191, -18.132, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-32.192, -32.292, -33.59, -31.793, -30.614, -30.974, -29.957, -30.825, -28.606, -33.795, -31.69, -33.521, -29.793, -31.736, -30.088, -30.236, -29.899, -15.802, -16.537, -17.569, -15.419, -15.558, -16.554, -15.304, -15.944, -16.356, -17.975, -17.489, -17.401, -17.228, -17.179, -17.485, -18.981, -17.12, -17.222, -17.293, -17.1, -17.163, -18.096, -22.484, -26.276, -26.233, -27.554, -30.958, -57.044, -84.111, -93.287, -93.296],
        "voice/v1/mix.wav": [-25.268, -24.101, -25.574, -24.347, -23.031, -23.589, -21.634, -23.296, -21.076, -26.157, -23.642, -24.938, -22.423, -24.248, -22.265, -22.033, -21.95, -12.874, -12.222, -12.938, -13.145, -14.025, -12.519, -11.877, -12.262, -13.488, -16.661, -15.544, -16.093, -15.816, -15.296, -16.196, -16.841, -15.38, -15.917, -15.321, -15.209, -15.942, -15.361, -17.202, -18.472, -18.047, -19.279, -24.074, -48.45, -75.981, -92.979, -93.291],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -20.376, -14.253, -15.355, -14.806, -32.987, -18.222, -13.889, -13.081, -13.98, -47.61, -80.004, -93.319, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
    ]

    @Test(arguments: cases)
    func rendersAreByteIdentical(_ c: Case) async throws {
        let out = TestSupport.temporaryDirectory("hash-\(c.name)")
        defer { try? FileManager.default.removeItem(at: out) }
        let options = RenderOptions(taskId: "hash-\(c.name)", conversionIds: ["c1-\(c.name)", "c2-\(c.name)"])
        let result = try await TestSupport.engine.render(c.request, to: out.appendingPathComponent("song"),
                                                         options: options)
        let got = try Self.hashes(of: result.directory)
        let listing = got.keys.sorted().map { "\"\($0)\": \"\(got[$0]!)\"" }.joined(separator: ", ")
        let expected = Self.expected[c.name] ?? [:]
        let audioMayDiffer = c.cpuDependent || Self.libcVersion != Self.referenceLibc
        if audioMayDiffer && got != expected {
            // Not the reference platform: the WAV files (and the loudness in the manifest) by fingerprint, everything
            // else by hash.
            #expect(Set(got.keys) == Set(expected.keys), "\(c.name): [\(listing)]")
            for name in got.keys.sorted() where name != "manifest.json" {
                if name.hasSuffix(".wav") {
                    let print = try Self.fingerprint(result.directory.appendingPathComponent(name))
                    let reference = Self.fingerprints["\(c.name)/\(name)"] ?? []
                    let worst = zip(print, reference).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(print.count == reference.count && worst <= 0.05,
                            "\(c.name)/\(name): fingerprint off by \(worst) dB: \(print.map { (($0 * 1000).rounded() / 1000) }) [\(listing)]")
                } else {
                    #expect(got[name] == expected[name], "\(c.name)/\(name): [\(listing)]")
                }
            }
        } else {
            var prints = ""
            if got != expected {  // what a change meant to move the sound pastes into `fingerprints`
                for name in got.keys.sorted() where name.hasSuffix(".wav") {
                    let print = try Self.fingerprint(result.directory.appendingPathComponent(name))
                    prints += "\n\"\(c.name)/\(name)\": \(print.map { (($0 * 1000).rounded() / 1000) }),"
                }
            }
            #expect(got == expected, "\(c.name) on glibc \(Self.libcVersion): [\(listing)]\(prints)")
        }
    }
}
