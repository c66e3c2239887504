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
            "manifest.json": "2f8879fa28b455cd",
            "v1/instrumental.wav": "835d372656bdaf41",
            "v1/mix.wav": "b15dd339e5f498c7",
            "v1/song.mid": "4f33afbfe24c3a4d",
            "v1/vocals.wav": "10452c567800a6eb",
            "v2/instrumental.wav": "a2761304198465d",
            "v2/mix.wav": "da9e3a7e65cc1fe6",
            "v2/song.mid": "24e597cd0f4dcabb",
            "v2/vocals.wav": "4254fc59cc93e411",
        ],
        "instrumental": [
            "cover.png": "dd48c0783bae79fe",
            "cover_thumb.png": "42929e14f1f08f13",
            "manifest.json": "a97554fdd7c615f5",
            "v1/instrumental.wav": "d44dfd4f80cf8a92",
            "v1/mix.wav": "d44dfd4f80cf8a92",
            "v1/song.mid": "3f9f8de6ef03e8ec",
            "v2/instrumental.wav": "aae0e94860e3bb9a",
            "v2/mix.wav": "aae0e94860e3bb9a",
            "v2/song.mid": "b99169571164492b",
        ],
        "vocal-only": [
            "cover.png": "f03a313bb7b43de3",
            "cover_thumb.png": "27abb9ac8be471ad",
            "lyrics-v1.lrc": "291877ef841f36f9",
            "manifest.json": "cfbf8b2a835bc7ee",
            "v1/mix.wav": "2df449268c135c9d",
            "v1/song.mid": "9a44b4ad203e1c02",
            "v1/vocals.wav": "2df449268c135c9d",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "8554bbc9f91cfd42",
            "v1/instrumental.wav": "7ac56c514ae33426",
            "v1/mix.wav": "33cb58f4fc7dc87",
            "v1/song.mid": "b36f0b719c3e601e",
            "v1/vocals.wav": "888972e37a825ddd",
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
        "instrumental/v1/instrumental.wav": [-13.325, -14.242, -14.295, -15.939, -14.853, -13.76, -14.241, -15.225, -15.897, -13.542, -13.861, -14.795, -16.826, -13.572, -13.977, -14.341, -17.247, -13.956, -13.861, -14.336, -15.949, -15.081, -13.842, -14.113, -15.13, -15.763, -13.544, -14.155, -14.592, -17.351, -13.62, -13.696, -14.242, -16.188, -14.028, -13.971, -22.533, -30.497, -42.089, -54.262, -64.341, -76.774, -86.036, -92.319, -93.215, -93.335, -93.306, -93.362],
        "instrumental/v1/mix.wav": [-13.325, -14.242, -14.295, -15.939, -14.853, -13.76, -14.241, -15.225, -15.897, -13.542, -13.861, -14.795, -16.826, -13.572, -13.977, -14.341, -17.247, -13.956, -13.861, -14.336, -15.949, -15.081, -13.842, -14.113, -15.13, -15.763, -13.544, -14.155, -14.592, -17.351, -13.62, -13.696, -14.242, -16.188, -14.028, -13.971, -22.533, -30.497, -42.089, -54.262, -64.341, -76.774, -86.036, -92.319, -93.215, -93.335, -93.306, -93.362],
        "instrumental/v2/instrumental.wav": [-13.167, -17.9, -14.044, -14.433, -18.011, -13.599, -17.533, -15.05, -14.211, -16.063, -13.409, -17.689, -18.007, -13.721, -14.208, -13.624, -18.382, -18.449, -13.463, -14.382, -15.859, -15.201, -18.483, -13.54, -14.307, -18.158, -14.123, -18.408, -14.307, -14.392, -16.763, -13.253, -18.032, -17.808, -13.921, -15.183, -21.116, -29.35, -41.376, -53.214, -63.297, -76.609, -86.227, -92.695, -93.258, -93.337, -93.303, -93.362],
        "instrumental/v2/mix.wav": [-13.167, -17.9, -14.044, -14.433, -18.011, -13.599, -17.533, -15.05, -14.211, -16.063, -13.409, -17.689, -18.007, -13.721, -14.208, -13.624, -18.382, -18.449, -13.463, -14.382, -15.859, -15.201, -18.483, -13.54, -14.307, -18.158, -14.123, -18.408, -14.307, -14.392, -16.763, -13.253, -18.032, -17.808, -13.921, -15.183, -21.116, -29.35, -41.376, -53.214, -63.297, -76.609, -86.227, -92.695, -93.258, -93.337, -93.303, -93.362],
        "sung/v1/instrumental.wav": [-16.892, -26.379, -18.088, -18.333, -23.963, -17.01, -25.849, -20.45, -17.507, -20.815, -15.883, -24.89, -26.982, -16.962, -18.169, -17.616, -22.555, -26.124, -16.808, -18.393, -21.199, -18.241, -26.241, -17.688, -18.21, -24.324, -16.91, -25.945, -18.577, -17.869, -21.888, -15.429, -22.732, -23.238, -15.425, -17.255, -25.82, -34.929, -45.955, -57.491, -68.219, -80.235, -89.45, -93.074, -93.314, -93.341, -93.302, -93.366],
        "sung/v1/mix.wav": [-13.935, -14.619, -15.177, -14.361, -18.501, -14.627, -16.603, -16.493, -15.708, -19.886, -15.884, -15.852, -16.334, -13.927, -16.51, -15.583, -16.672, -16.334, -15.005, -17.145, -19.169, -14.374, -13.998, -15.369, -15.605, -16.498, -14.11, -16.469, -15.645, -14.407, -21.579, -15.668, -20.954, -21.163, -15.558, -16.983, -23.461, -31.805, -42.739, -54.254, -64.994, -77.121, -87.286, -92.835, -93.289, -93.343, -93.305, -93.367],
        "sung/v1/vocals.wav": [-16.727, -14.628, -16.435, -15.399, -18.241, -18.943, -17.464, -19.574, -16.414, -21.608, -53.983, -29.508, -16.204, -18.104, -16.262, -21.604, -20.184, -18.125, -17.417, -19.384, -21.063, -51.175, -15.678, -14.495, -14.767, -19.138, -18.891, -18.526, -15.561, -18.172, -17.322, -15.194, -46.681, -59.13, -71.074, -85.387, -92.925, -93.242, -93.364, -93.318, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-17.779, -18.681, -18.383, -21.3, -19.063, -18.227, -18.58, -20.539, -20.158, -17.537, -17.009, -19.584, -21.925, -18.012, -18.61, -18.939, -22.682, -18.138, -18.078, -18.579, -20.449, -19.178, -18.079, -18.206, -20.26, -20.487, -18.002, -18.756, -19.537, -21.887, -17.787, -16.894, -17.481, -20.815, -16.454, -16.491, -26.336, -35.688, -46.753, -58.133, -68.804, -80.754, -89.838, -93.101, -93.307, -93.338, -93.301, -93.365],
        "sung/v2/mix.wav": [-14.07, -14.392, -15.379, -14.138, -17.382, -14.447, -15.419, -16.309, -15.439, -16.811, -16.437, -14.185, -14.881, -14.534, -16.917, -16.065, -15.431, -15.178, -15.381, -17.143, -18.606, -14.514, -14.315, -15.316, -15.275, -15.751, -14.366, -15.609, -16.674, -16.573, -16.972, -16.422, -16.919, -19.719, -16.196, -16.186, -24.176, -32.546, -43.469, -54.82, -65.499, -77.572, -87.706, -92.851, -93.299, -93.347, -93.301, -93.364],
        "sung/v2/vocals.wav": [-17.082, -15.601, -17.549, -15.046, -17.351, -18.764, -17.011, -18.403, -16.066, -18.994, -49.088, -25.307, -14.31, -15.025, -16.691, -22.079, -20.977, -16.426, -16.384, -19.755, -21.428, -51.501, -16.013, -15.834, -17.299, -16.425, -17.293, -17.945, -15.769, -19.077, -20.029, -19.134, -49.755, -62.134, -76.725, -89.955, -93.211, -93.262, -93.358, -93.32, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.569, -15.738, -17.703, -14.922, -18.023, -17.256, -16.811, -18.421, -15.182, -18.129, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.569, -15.738, -17.703, -14.922, -18.023, -17.256, -16.811, -18.421, -15.182, -18.129, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-33.104, -31.208, -32.484, -31.762, -30.122, -31.487, -29.498, -32.666, -28.176, -32.325, -29.919, -34.375, -29.141, -32.276, -29.878, -31.473, -30.135, -14.065, -14.384, -14.742, -13.53, -12.392, -13.57, -13.563, -14.126, -14.699, -30.292, -30.785, -32.684, -31.784, -30.242, -30.847, -29.022, -30.839, -26.31, -29.157, -26.777, -27.98, -27.315, -27.965, -26.746, -27.395, -28.943, -30.098, -55.497, -82.835, -93.258, -93.294],
        "voice/v1/mix.wav": [-23.942, -21.972, -23.211, -22.479, -20.867, -22.2, -20.253, -23.409, -19.066, -23.205, -20.687, -25.065, -19.951, -23.043, -20.62, -22.228, -20.94, -11.687, -10.506, -11.073, -10.828, -11.129, -10.349, -11.039, -10.871, -11.09, -21.519, -21.561, -23.399, -22.488, -20.987, -21.57, -19.793, -21.632, -17.371, -20.181, -17.914, -19.022, -18.232, -18.941, -17.767, -18.484, -19.76, -21.036, -46.214, -73.92, -92.843, -93.288],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -17.163, -12.616, -13.007, -12.763, -32.614, -16.467, -11.8, -11.249, -12.157, -45.655, -78.104, -93.313, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
