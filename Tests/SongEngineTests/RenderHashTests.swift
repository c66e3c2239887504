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
/// and the male voice is rms; their fingerprints were then taken on the reference platform. MP3 files are left out: their bytes are
/// LAME's, and a different LAME build may encode the same samples differently; the WAV files carry the samples.
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
            "manifest.json": "513d36cf645406c7",
            "v1/instrumental.wav": "eba8c7d848e6350b",
            "v1/mix.wav": "6ce3fcd60014fb31",
            "v1/song.mid": "a90163534ea5de51",
            "v1/vocals.wav": "581bdc0e7f704b7a",
            "v2/instrumental.wav": "4a710d2bd54ce7",
            "v2/mix.wav": "72dc08a6b1f36cfd",
            "v2/song.mid": "cf2bc86fd127d14c",
            "v2/vocals.wav": "f0b9f10e0aa71c6e",
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
            "manifest.json": "5b62e24907a0e860",
            "v1/mix.wav": "85291e85ee8656e4",
            "v1/song.mid": "91be6f0bc6c1081a",
            "v1/vocals.wav": "85291e85ee8656e4",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "7e1bf7562bf2f04f",
            "v1/instrumental.wav": "4e29b90d4dcedf72",
            "v1/mix.wav": "b4e26ffdf2561f28",
            "v1/song.mid": "b36f0b719c3e601e",
            "v1/vocals.wav": "821e0233d46e629",
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
        "sung/v1/instrumental.wav": [-17.555, -18.688, -19.146, -19.838, -18.652, -18.09, -18.791, -19.367, -19.128, -17.314, -17.358, -19.348, -19.714, -18.068, -18.535, -19.447, -20.752, -18.021, -18.039, -18.685, -19.09, -18.641, -18.301, -19.23, -19.572, -19.522, -18.076, -18.795, -19.347, -19.985, -17.555, -16.979, -17.739, -18.712, -16.779, -16.635, -22.973, -35.717, -48.403, -60.589, -71.582, -83.098, -91.046, -93.204, -93.322, -93.336, -93.3, -93.365],
        "sung/v1/mix.wav": [-13.801, -13.801, -14.858, -14.653, -16.356, -14.497, -15.132, -15.779, -15.512, -16.216, -16.138, -14.766, -15.601, -14.306, -16.691, -15.69, -15.465, -14.72, -15.081, -16.68, -17.163, -13.897, -13.16, -15.723, -15.801, -15.9, -14.018, -14.665, -16.088, -14.045, -16.913, -15.953, -16.474, -17.288, -15.651, -15.585, -21.291, -32.881, -45.191, -57.247, -68.185, -79.896, -89.267, -93.077, -93.309, -93.327, -93.304, -93.365],
        "sung/v1/vocals.wav": [-17.179, -14.47, -15.572, -15.593, -18.306, -18.168, -16.227, -19.252, -16.072, -21.221, -53.732, -30.031, -16.581, -18.029, -17.081, -22.537, -19.672, -17.205, -16.223, -19.346, -20.05, -49.112, -15.562, -13.776, -13.873, -19.207, -19.738, -18.589, -15.196, -16.281, -17.433, -14.328, -45.433, -57.586, -69.733, -84.128, -92.867, -93.23, -93.358, -93.319, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-17.642, -18.239, -19.429, -19.756, -18.545, -17.801, -19.147, -19.644, -19.702, -17.645, -17.226, -19.269, -20.069, -17.69, -18.316, -18.782, -20.486, -17.749, -18.031, -18.648, -18.92, -18.808, -18.276, -19.204, -19.534, -19.383, -17.889, -18.778, -19.319, -20.025, -17.625, -16.732, -17.678, -18.919, -16.655, -16.773, -22.781, -35.397, -47.888, -59.867, -70.888, -82.833, -90.945, -93.193, -93.318, -93.344, -93.302, -93.365],
        "sung/v2/mix.wav": [-13.976, -13.836, -15.19, -14.639, -16.452, -14.384, -15.725, -15.785, -14.291, -16.57, -16.022, -13.585, -13.883, -14.823, -16.627, -15.679, -14.284, -14.562, -15.279, -16.634, -17.094, -14.006, -13.721, -15.255, -14.745, -15.332, -14.122, -14.836, -16.791, -15.703, -16.345, -15.72, -16.395, -17.437, -15.45, -15.647, -21.076, -32.508, -44.625, -56.476, -67.449, -79.563, -89.15, -93.029, -93.315, -93.342, -93.299, -93.365],
        "sung/v2/vocals.wav": [-17.664, -14.871, -16.504, -15.86, -18.843, -19.971, -18.01, -18.945, -15.596, -17.006, -46.603, -24.778, -13.451, -13.698, -17.948, -23.318, -21.01, -15.288, -15.189, -19.928, -20.549, -49.494, -15.985, -14.819, -16.19, -15.751, -16.907, -17.601, -15.47, -17.472, -20.338, -18.907, -49.062, -61.45, -76.665, -90.181, -93.188, -93.265, -93.36, -93.318, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-14.892, -15.152, -17.214, -15.347, -17.797, -18.311, -17.747, -18.009, -14.915, -16.913, -46.358, -25.731, -14.755, -15.322, -15.062, -20.028, -18.366, -16.752, -16.288, -18.185, -19.499, -46.694, -15.447, -14.596, -15.069, -15.516, -16.0, -16.348, -15.302, -19.943, -18.009, -17.907, -46.622, -58.27, -73.366, -88.098, -93.113, -93.269, -93.361, -93.319, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-14.892, -15.152, -17.214, -15.347, -17.797, -18.311, -17.747, -18.009, -14.915, -16.913, -46.358, -25.731, -14.755, -15.322, -15.062, -20.028, -18.366, -16.752, -16.288, -18.185, -19.499, -46.694, -15.447, -14.596, -15.069, -15.516, -16.0, -16.348, -15.302, -19.943, -18.009, -17.907, -46.622, -58.27, -73.366, -88.098, -93.113, -93.269, -93.361, -93.319, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-34.827, -32.93, -34.207, -33.484, -31.846, -33.21, -31.222, -34.389, -29.899, -34.049, -31.642, -36.099, -30.864, -33.999, -31.601, -33.196, -31.858, -16.234, -16.3, -16.099, -15.688, -14.531, -15.735, -16.131, -15.926, -16.26, -30.515, -32.761, -34.661, -33.76, -32.219, -32.823, -30.999, -32.815, -28.286, -31.13, -28.751, -29.954, -29.288, -29.94, -28.721, -29.369, -30.916, -32.074, -57.474, -84.592, -93.293, -93.292],
        "voice/v1/mix.wav": [-23.823, -21.871, -23.112, -22.391, -20.751, -22.102, -20.134, -23.307, -18.865, -23.034, -20.573, -24.977, -19.792, -22.907, -20.508, -22.117, -20.82, -11.666, -10.706, -10.961, -10.368, -9.079, -9.908, -10.223, -10.715, -9.938, -20.232, -21.698, -23.552, -22.655, -21.125, -21.728, -19.912, -21.765, -17.393, -20.255, -17.914, -19.117, -18.321, -19.062, -17.821, -18.543, -19.897, -21.041, -46.383, -74.091, -92.861, -93.287],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.845, -13.428, -14.595, -14.528, -32.925, -17.432, -13.575, -12.245, -13.104, -45.803, -76.815, -93.303, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
