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
            "manifest.json": "ae857ad8f93db505",
            "v1/instrumental.wav": "650c3e97fea666bd",
            "v1/mix.wav": "bb6dab0514e1853f",
            "v1/song.mid": "a90163534ea5de51",
            "v1/vocals.wav": "2d7feaff3ddce191",
            "v2/instrumental.wav": "7fd618b79f85433d",
            "v2/mix.wav": "e063d9be9bd630d",
            "v2/song.mid": "cf2bc86fd127d14c",
            "v2/vocals.wav": "de585ba37c34ea35",
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
            "manifest.json": "8b188444fe8133c8",
            "v1/mix.wav": "5362607e1ba37bbf",
            "v1/song.mid": "91be6f0bc6c1081a",
            "v1/vocals.wav": "5362607e1ba37bbf",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "f6e713a68fa8d1d4",
            "v1/instrumental.wav": "7bf85925baf23911",
            "v1/mix.wav": "94593402e8cffbd",
            "v1/song.mid": "b36f0b719c3e601e",
            "v1/vocals.wav": "d51d82b91be86d7e",
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
        "sung/v1/instrumental.wav": [-17.619, -18.752, -19.21, -19.902, -18.719, -18.158, -18.855, -19.431, -19.192, -17.378, -17.422, -19.412, -19.778, -18.132, -18.6, -19.511, -20.816, -18.085, -18.103, -18.729, -19.142, -18.705, -18.365, -19.294, -19.636, -19.585, -18.14, -18.859, -19.41, -20.049, -17.619, -17.043, -17.803, -18.775, -16.843, -16.699, -23.037, -35.781, -48.467, -60.653, -71.646, -83.155, -91.069, -93.207, -93.322, -93.336, -93.3, -93.365],
        "sung/v1/mix.wav": [-13.864, -13.805, -15.272, -14.297, -16.483, -14.579, -15.373, -15.826, -15.917, -16.345, -16.252, -14.596, -15.707, -13.95, -16.649, -15.954, -15.701, -15.027, -15.035, -17.168, -17.261, -13.895, -13.411, -15.889, -15.964, -15.648, -14.266, -15.304, -15.876, -14.472, -16.819, -16.056, -16.59, -17.404, -15.765, -15.698, -21.41, -33.012, -45.325, -57.38, -68.318, -80.023, -89.341, -93.088, -93.309, -93.328, -93.304, -93.365],
        "sung/v1/vocals.wav": [-16.475, -14.314, -16.122, -15.103, -17.995, -18.637, -17.167, -19.229, -16.091, -21.349, -53.824, -29.985, -15.856, -17.81, -15.949, -21.175, -19.47, -17.773, -17.151, -19.023, -20.818, -51.067, -15.351, -14.179, -14.437, -18.881, -18.604, -18.283, -15.298, -17.983, -17.119, -14.895, -46.308, -58.862, -70.742, -85.105, -92.904, -93.252, -93.363, -93.317, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-17.715, -18.313, -19.502, -19.83, -18.624, -17.875, -19.22, -19.718, -19.776, -17.624, -17.256, -19.342, -20.143, -17.763, -18.388, -18.856, -20.559, -17.823, -18.105, -18.681, -18.97, -18.881, -18.349, -19.278, -19.608, -19.457, -17.962, -18.852, -19.394, -20.098, -17.676, -16.801, -17.75, -18.992, -16.728, -16.846, -22.855, -35.471, -47.961, -59.941, -70.962, -82.899, -90.979, -93.195, -93.32, -93.344, -93.302, -93.365],
        "sung/v2/mix.wav": [-13.869, -14.186, -15.526, -13.809, -16.604, -14.182, -15.48, -15.715, -14.935, -16.599, -16.101, -13.784, -14.484, -14.27, -16.61, -15.906, -14.962, -14.835, -15.146, -17.077, -17.189, -14.004, -14.128, -15.464, -14.981, -15.431, -14.226, -15.49, -16.539, -15.905, -16.448, -15.83, -16.509, -17.552, -15.562, -15.759, -21.194, -32.64, -44.759, -56.61, -67.586, -79.69, -89.221, -93.039, -93.316, -93.342, -93.3, -93.365],
        "sung/v2/vocals.wav": [-16.807, -15.269, -17.247, -14.718, -17.057, -18.463, -16.75, -18.098, -15.764, -18.648, -48.813, -25.258, -13.977, -14.663, -16.374, -21.717, -20.174, -16.123, -16.061, -19.407, -21.154, -51.378, -15.662, -15.494, -16.957, -16.083, -16.962, -17.714, -15.425, -19.039, -19.852, -18.832, -49.433, -61.847, -76.483, -89.768, -93.193, -93.263, -93.357, -93.319, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.645, -15.77, -17.738, -14.916, -18.064, -17.262, -16.832, -18.394, -15.161, -18.147, -47.888, -26.575, -15.365, -16.505, -15.082, -20.586, -17.95, -16.929, -16.88, -17.803, -20.475, -48.71, -15.407, -14.891, -15.355, -15.954, -15.966, -16.722, -15.48, -20.163, -17.758, -18.307, -47.08, -58.716, -73.302, -87.812, -93.086, -93.264, -93.357, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.645, -15.77, -17.738, -14.916, -18.064, -17.262, -16.832, -18.394, -15.161, -18.147, -47.888, -26.575, -15.365, -16.505, -15.082, -20.586, -17.95, -16.929, -16.88, -17.803, -20.475, -48.71, -15.407, -14.891, -15.355, -15.954, -15.966, -16.722, -15.48, -20.163, -17.758, -18.307, -47.08, -58.716, -73.302, -87.812, -93.086, -93.264, -93.357, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-34.893, -32.997, -34.274, -33.551, -31.913, -33.277, -31.289, -34.456, -29.966, -34.115, -31.709, -36.166, -30.931, -34.066, -31.668, -33.263, -31.925, -16.29, -16.367, -16.166, -15.7, -14.396, -15.802, -16.198, -15.993, -16.288, -30.573, -32.828, -34.728, -33.827, -32.286, -32.89, -31.066, -32.882, -28.353, -31.197, -28.818, -30.021, -29.355, -30.007, -28.788, -29.436, -30.983, -32.141, -57.541, -84.652, -93.295, -93.292],
        "voice/v1/mix.wav": [-23.8, -21.848, -23.089, -22.368, -20.728, -22.079, -20.111, -23.284, -18.841, -23.01, -20.55, -24.954, -19.769, -22.883, -20.485, -22.095, -20.797, -11.621, -10.388, -10.689, -9.939, -9.102, -10.105, -10.671, -10.737, -10.012, -20.207, -21.674, -23.529, -22.632, -21.103, -21.705, -19.889, -21.742, -17.369, -20.231, -17.891, -19.093, -18.298, -19.039, -17.798, -18.52, -19.874, -21.017, -46.36, -74.069, -92.858, -93.287],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.731, -13.223, -14.342, -14.541, -34.389, -18.192, -13.544, -12.256, -13.33, -47.142, -77.357, -93.312, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
