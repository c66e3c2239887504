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
            "manifest.json": "87d0fced5e5b7da2",
            "v1/instrumental.wav": "7bb22efb65a78015",
            "v1/mix.wav": "2c073e78ffca0bf",
            "v1/song.mid": "a90163534ea5de51",
            "v1/vocals.wav": "66aec262ae22fea2",
            "v2/instrumental.wav": "198485da319b5167",
            "v2/mix.wav": "99de395a879be189",
            "v2/song.mid": "cf2bc86fd127d14c",
            "v2/vocals.wav": "223a045e0512bd09",
        ],
        "instrumental": [
            "cover.png": "dd48c0783bae79fe",
            "cover_thumb.png": "42929e14f1f08f13",
            "manifest.json": "3645cd0b87ddd459",
            "v1/instrumental.wav": "4e6d438d8c5d0d82",
            "v1/mix.wav": "4e6d438d8c5d0d82",
            "v1/song.mid": "b9a0530dc947b94c",
            "v2/instrumental.wav": "ccbe0803f9b898d2",
            "v2/mix.wav": "ccbe0803f9b898d2",
            "v2/song.mid": "249b808bd7c05c8b",
        ],
        "vocal-only": [
            "cover.png": "f03a313bb7b43de3",
            "cover_thumb.png": "27abb9ac8be471ad",
            "lyrics-v1.lrc": "291877ef841f36f9",
            "manifest.json": "f3fc0c1d31c0ffd9",
            "v1/mix.wav": "2df449268c135c9d",
            "v1/song.mid": "91be6f0bc6c1081a",
            "v1/vocals.wav": "2df449268c135c9d",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "7e1bf7562bf2f04f",
            "v1/instrumental.wav": "d5b2c5084156bd2f",
            "v1/mix.wav": "8ef51eff7c8e9d35",
            "v1/song.mid": "b36f0b719c3e601e",
            "v1/vocals.wav": "ff94e3812de6c02e",
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
        "instrumental/v1/instrumental.wav": [-12.061, -12.896, -13.627, -14.117, -13.31, -12.86, -13.396, -13.74, -13.896, -12.698, -13.247, -13.648, -14.401, -12.518, -13.056, -13.493, -14.876, -12.702, -13.034, -13.473, -13.954, -13.637, -13.007, -13.634, -13.691, -13.858, -12.76, -13.334, -13.651, -14.489, -12.744, -13.218, -13.659, -14.079, -13.001, -13.067, -18.387, -29.183, -41.963, -54.731, -65.329, -77.777, -86.969, -92.528, -93.239, -93.333, -93.299, -93.366],
        "instrumental/v1/mix.wav": [-12.061, -12.896, -13.627, -14.117, -13.31, -12.86, -13.396, -13.74, -13.896, -12.698, -13.247, -13.648, -14.401, -12.518, -13.056, -13.493, -14.876, -12.702, -13.034, -13.473, -13.954, -13.637, -13.007, -13.634, -13.691, -13.858, -12.76, -13.334, -13.651, -14.489, -12.744, -13.218, -13.659, -14.079, -13.001, -13.067, -18.387, -29.183, -41.963, -54.731, -65.329, -77.777, -86.969, -92.528, -93.239, -93.333, -93.299, -93.366],
        "instrumental/v2/instrumental.wav": [-12.125, -12.993, -13.753, -13.947, -13.608, -12.631, -13.543, -13.562, -13.806, -12.875, -13.189, -13.489, -14.295, -12.596, -13.031, -13.497, -14.949, -12.663, -12.887, -13.424, -14.155, -13.569, -12.878, -13.516, -13.703, -14.071, -12.814, -13.271, -13.464, -14.549, -12.745, -13.045, -13.562, -14.48, -12.965, -12.944, -18.12, -28.723, -41.582, -54.401, -64.875, -77.638, -87.099, -92.653, -93.251, -93.321, -93.311, -93.364],
        "instrumental/v2/mix.wav": [-12.125, -12.993, -13.753, -13.947, -13.608, -12.631, -13.543, -13.562, -13.806, -12.875, -13.189, -13.489, -14.295, -12.596, -13.031, -13.497, -14.949, -12.663, -12.887, -13.424, -14.155, -13.569, -12.878, -13.516, -13.703, -14.071, -12.814, -13.271, -13.464, -14.549, -12.745, -13.045, -13.562, -14.48, -12.965, -12.944, -18.12, -28.723, -41.582, -54.401, -64.875, -77.638, -87.099, -92.653, -93.251, -93.321, -93.311, -93.364],
        "sung/v1/instrumental.wav": [-17.596, -18.73, -19.188, -19.879, -18.696, -18.133, -18.832, -19.408, -19.169, -17.378, -17.404, -19.389, -19.756, -18.11, -18.578, -19.489, -20.793, -18.062, -18.08, -18.706, -19.129, -18.683, -18.342, -19.272, -19.614, -19.563, -18.117, -18.836, -19.385, -20.027, -17.597, -17.02, -17.78, -18.753, -16.821, -16.677, -23.014, -35.758, -48.444, -60.631, -71.623, -83.136, -91.061, -93.206, -93.321, -93.336, -93.3, -93.365],
        "sung/v1/mix.wav": [-13.878, -13.811, -15.281, -14.288, -16.457, -14.579, -15.386, -15.823, -16.05, -16.305, -16.235, -14.565, -15.707, -13.879, -16.662, -15.764, -15.632, -15.052, -15.064, -17.039, -17.255, -13.912, -13.442, -15.864, -15.768, -15.664, -14.169, -15.284, -15.798, -14.451, -16.813, -16.045, -16.578, -17.393, -15.753, -15.687, -21.398, -32.999, -45.312, -57.367, -68.305, -80.01, -89.332, -93.089, -93.309, -93.328, -93.304, -93.365],
        "sung/v1/vocals.wav": [-16.401, -14.302, -16.109, -15.074, -17.915, -18.617, -17.138, -19.249, -16.089, -21.282, -53.641, -29.181, -15.878, -17.778, -15.937, -21.278, -19.858, -17.799, -17.092, -19.058, -20.737, -50.836, -15.351, -14.169, -14.44, -18.812, -18.565, -18.2, -15.236, -17.846, -16.996, -14.867, -46.313, -58.774, -70.735, -85.089, -92.904, -93.25, -93.362, -93.316, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-17.676, -18.273, -19.464, -19.79, -18.584, -17.834, -19.181, -19.678, -19.736, -17.584, -17.217, -19.302, -20.103, -17.724, -18.344, -18.816, -20.52, -17.783, -18.065, -18.641, -18.939, -18.842, -18.309, -19.238, -19.568, -19.417, -17.922, -18.812, -19.352, -20.059, -17.636, -16.761, -17.711, -18.953, -16.689, -16.807, -22.815, -35.431, -47.921, -59.901, -70.923, -82.863, -90.963, -93.194, -93.319, -93.344, -93.302, -93.365],
        "sung/v2/mix.wav": [-13.863, -14.188, -15.49, -13.792, -16.574, -14.145, -15.417, -15.692, -14.947, -16.52, -16.071, -13.903, -14.407, -14.338, -16.561, -15.696, -14.812, -14.848, -15.129, -17.047, -17.175, -14.031, -14.156, -15.456, -15.055, -15.247, -14.18, -15.371, -16.421, -15.884, -16.423, -15.81, -16.489, -17.531, -15.542, -15.739, -21.173, -32.614, -44.732, -56.584, -67.558, -79.666, -89.207, -93.036, -93.316, -93.342, -93.299, -93.365],
        "sung/v2/vocals.wav": [-16.725, -15.244, -17.192, -14.689, -16.994, -18.407, -16.654, -18.045, -15.708, -18.637, -48.716, -24.949, -13.952, -14.667, -16.334, -21.722, -20.62, -16.069, -16.026, -19.397, -21.071, -51.131, -15.656, -15.477, -16.942, -16.067, -16.935, -17.588, -15.411, -18.72, -19.672, -18.777, -49.393, -61.769, -76.378, -89.756, -93.183, -93.261, -93.358, -93.32, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.569, -15.738, -17.703, -14.922, -18.023, -17.256, -16.811, -18.421, -15.182, -18.129, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.569, -15.738, -17.703, -14.922, -18.023, -17.256, -16.811, -18.421, -15.182, -18.129, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-34.912, -33.016, -34.293, -33.57, -31.932, -33.296, -31.308, -34.475, -29.985, -34.134, -31.728, -36.184, -30.95, -34.085, -31.687, -33.282, -31.944, -16.309, -16.386, -16.185, -15.723, -14.498, -15.821, -16.216, -16.012, -16.307, -30.592, -32.847, -34.747, -33.846, -32.305, -32.909, -31.085, -32.901, -28.372, -31.216, -28.837, -30.04, -29.374, -30.026, -28.807, -29.455, -31.002, -32.16, -57.559, -84.673, -93.294, -93.292],
        "voice/v1/mix.wav": [-24.038, -22.086, -23.328, -22.607, -20.966, -22.317, -20.349, -23.523, -19.08, -23.249, -20.788, -25.193, -20.007, -23.122, -20.724, -22.333, -21.035, -11.498, -10.124, -10.676, -9.664, -9.196, -10.3, -10.755, -10.295, -10.032, -20.423, -21.913, -23.767, -22.87, -21.341, -21.943, -20.128, -21.98, -17.608, -20.47, -18.129, -19.332, -18.536, -19.278, -18.036, -18.758, -20.112, -21.255, -46.599, -74.303, -92.883, -93.287],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.76, -13.172, -14.357, -14.617, -34.56, -18.037, -13.559, -12.123, -13.482, -47.114, -77.282, -93.312, -93.34, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
