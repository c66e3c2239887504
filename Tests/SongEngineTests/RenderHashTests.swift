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
            "manifest.json": "34f2051d0fff95d7",
            "v1/instrumental.wav": "1ad7e840bb6d6f52",
            "v1/mix.wav": "ebc17339da0b3f03",
            "v1/song.mid": "4f33afbfe24c3a4d",
            "v1/vocals.wav": "511deaa44ec94243",
            "v2/instrumental.wav": "d5ab81c7331f03e0",
            "v2/mix.wav": "a52949fdf33ea168",
            "v2/song.mid": "24e597cd0f4dcabb",
            "v2/vocals.wav": "914961d8d58b7278",
        ],
        "instrumental": [
            "cover.png": "dd48c0783bae79fe",
            "cover_thumb.png": "42929e14f1f08f13",
            "manifest.json": "faf10c9e8c26d0f2",
            "v1/instrumental.wav": "85e74d5e4e7ce152",
            "v1/mix.wav": "85e74d5e4e7ce152",
            "v1/song.mid": "3f9f8de6ef03e8ec",
            "v2/instrumental.wav": "c6d604fc0a453282",
            "v2/mix.wav": "c6d604fc0a453282",
            "v2/song.mid": "b99169571164492b",
        ],
        "vocal-only": [
            "cover.png": "f03a313bb7b43de3",
            "cover_thumb.png": "27abb9ac8be471ad",
            "lyrics-v1.lrc": "291877ef841f36f9",
            "manifest.json": "3144d56419418912",
            "v1/mix.wav": "55ddc20efc8b741",
            "v1/song.mid": "9a44b4ad203e1c02",
            "v1/vocals.wav": "55ddc20efc8b741",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "15c2e9f61bfeb312",
            "v1/instrumental.wav": "ebd324277cceb08a",
            "v1/mix.wav": "6921743cdb91e758",
            "v1/song.mid": "9407c0292af67e01",
            "v1/vocals.wav": "1828997eb33e01f9",
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
        "instrumental/v1/instrumental.wav": [-13.729, -14.143, -14.531, -16.35, -14.841, -13.908, -14.336, -15.282, -16.127, -13.641, -13.894, -14.809, -17.085, -13.787, -14.134, -14.376, -17.528, -14.109, -13.926, -14.345, -16.115, -15.528, -13.895, -14.257, -15.134, -16.395, -13.582, -14.216, -14.698, -17.633, -13.743, -14.128, -14.227, -16.216, -14.442, -13.981, -22.534, -30.511, -42.106, -54.278, -64.36, -76.789, -86.054, -92.324, -93.216, -93.336, -93.305, -93.362],
        "instrumental/v1/mix.wav": [-13.729, -14.143, -14.531, -16.35, -14.841, -13.908, -14.336, -15.282, -16.127, -13.641, -13.894, -14.809, -17.085, -13.787, -14.134, -14.376, -17.528, -14.109, -13.926, -14.345, -16.115, -15.528, -13.895, -14.257, -15.134, -16.395, -13.582, -14.216, -14.698, -17.633, -13.743, -14.128, -14.227, -16.216, -14.442, -13.981, -22.534, -30.511, -42.106, -54.278, -64.36, -76.789, -86.054, -92.324, -93.216, -93.336, -93.305, -93.362],
        "instrumental/v2/instrumental.wav": [-13.158, -17.781, -14.154, -14.455, -17.976, -13.752, -17.412, -15.268, -14.133, -16.143, -13.564, -17.642, -17.866, -13.861, -14.192, -13.803, -18.542, -18.318, -13.677, -14.283, -16.075, -15.507, -18.338, -13.552, -14.386, -18.096, -14.278, -18.368, -14.401, -14.571, -16.624, -13.045, -17.91, -17.858, -14.022, -15.205, -20.912, -29.211, -41.247, -53.087, -63.169, -76.483, -86.124, -92.678, -93.254, -93.336, -93.302, -93.361],
        "instrumental/v2/mix.wav": [-13.158, -17.781, -14.154, -14.455, -17.976, -13.752, -17.412, -15.268, -14.133, -16.143, -13.564, -17.642, -17.866, -13.861, -14.192, -13.803, -18.542, -18.318, -13.677, -14.283, -16.075, -15.507, -18.338, -13.552, -14.386, -18.096, -14.278, -18.368, -14.401, -14.571, -16.624, -13.045, -17.91, -17.858, -14.022, -15.205, -20.912, -29.211, -41.247, -53.087, -63.169, -76.483, -86.124, -92.678, -93.254, -93.336, -93.302, -93.361],
        "sung/v1/instrumental.wav": [-16.888, -26.372, -17.987, -18.439, -24.163, -17.17, -25.877, -20.561, -17.562, -20.791, -15.68, -25.083, -26.955, -17.11, -18.392, -17.471, -22.743, -26.099, -16.875, -18.456, -20.946, -18.253, -26.196, -17.547, -18.522, -24.598, -16.793, -26.071, -18.333, -18.186, -22.131, -15.414, -22.819, -23.234, -15.382, -17.555, -25.779, -34.9, -45.927, -57.463, -68.193, -80.209, -89.431, -93.076, -93.314, -93.341, -93.302, -93.366],
        "sung/v1/mix.wav": [-13.94, -14.646, -15.165, -14.459, -18.558, -14.736, -16.624, -16.711, -15.796, -19.998, -15.819, -15.933, -16.369, -13.988, -16.624, -15.542, -16.757, -16.362, -15.036, -17.253, -19.08, -14.381, -14.021, -15.382, -15.691, -16.53, -14.103, -16.501, -15.705, -14.524, -21.682, -15.65, -21.011, -21.155, -15.587, -17.163, -23.388, -31.77, -42.711, -54.228, -64.968, -77.092, -87.263, -92.832, -93.289, -93.343, -93.305, -93.367],
        "sung/v1/vocals.wav": [-16.779, -14.681, -16.488, -15.452, -18.293, -18.995, -17.516, -19.627, -16.467, -21.661, -54.036, -29.56, -16.256, -18.156, -16.315, -21.656, -20.236, -18.178, -17.47, -19.436, -21.115, -51.228, -15.73, -14.548, -14.819, -19.19, -18.943, -18.578, -15.614, -18.225, -17.374, -15.246, -46.733, -59.183, -71.126, -85.433, -92.927, -93.242, -93.364, -93.318, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-18.102, -18.347, -18.413, -21.4, -18.909, -17.981, -18.707, -20.63, -20.563, -17.879, -17.042, -19.565, -21.989, -17.992, -18.531, -18.964, -22.957, -18.248, -18.18, -18.467, -20.685, -19.793, -17.972, -18.276, -20.052, -20.506, -18.03, -18.634, -19.411, -22.035, -17.734, -16.978, -17.594, -21.598, -16.527, -16.367, -26.226, -35.57, -46.635, -58.015, -68.684, -80.644, -89.759, -93.094, -93.306, -93.338, -93.302, -93.365],
        "sung/v2/mix.wav": [-14.114, -14.366, -15.389, -14.19, -17.317, -14.417, -15.542, -16.428, -15.654, -17.212, -16.551, -14.27, -14.879, -14.536, -16.978, -16.118, -15.495, -15.241, -15.414, -17.081, -18.857, -14.555, -14.387, -15.346, -15.307, -15.828, -14.408, -15.558, -16.678, -16.66, -17.005, -16.545, -17.042, -20.331, -16.273, -16.114, -24.118, -32.441, -43.357, -54.708, -65.385, -77.455, -87.629, -92.842, -93.297, -93.348, -93.3, -93.364],
        "sung/v2/vocals.wav": [-17.122, -15.641, -17.588, -15.085, -17.391, -18.804, -17.051, -18.442, -16.105, -19.033, -49.128, -25.347, -14.349, -15.064, -16.731, -22.119, -21.017, -16.466, -16.423, -19.794, -21.468, -51.541, -16.053, -15.874, -17.339, -16.464, -17.332, -17.985, -15.808, -19.116, -20.068, -19.174, -49.794, -62.174, -76.763, -89.979, -93.212, -93.261, -93.359, -93.32, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.779, -15.759, -17.704, -14.922, -18.023, -17.256, -16.811, -18.421, -15.191, -18.132, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.779, -15.759, -17.704, -14.922, -18.023, -17.256, -16.811, -18.421, -15.191, -18.132, -47.933, -25.961, -15.354, -16.484, -15.058, -20.455, -18.245, -16.926, -16.858, -17.847, -20.439, -48.494, -15.405, -14.895, -15.379, -15.968, -15.965, -16.666, -15.511, -19.898, -17.639, -18.263, -47.022, -58.558, -73.176, -87.697, -93.085, -93.261, -93.358, -93.32, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-34.582, -32.686, -33.963, -33.241, -31.601, -32.966, -30.977, -34.145, -29.655, -33.804, -31.397, -35.854, -30.62, -33.755, -31.357, -32.952, -31.614, -15.432, -16.272, -16.152, -15.092, -14.028, -15.234, -15.121, -15.476, -16.207, -17.902, -17.138, -16.929, -16.972, -17.14, -17.419, -18.378, -16.978, -17.03, -17.031, -16.91, -17.023, -18.003, -22.089, -26.672, -26.87, -28.163, -31.015, -56.976, -84.153, -93.274, -93.293],
        "voice/v1/mix.wav": [-27.233, -25.278, -26.518, -25.795, -24.161, -25.509, -23.545, -26.715, -22.311, -26.465, -23.984, -28.381, -23.219, -26.326, -23.92, -25.526, -24.233, -12.367, -11.751, -12.113, -11.925, -12.331, -11.241, -11.454, -11.672, -12.305, -14.898, -13.764, -13.838, -13.819, -14.005, -14.248, -15.371, -13.755, -14.072, -13.711, -13.744, -14.116, -14.767, -18.022, -19.724, -19.97, -21.107, -23.811, -49.534, -77.187, -93.099, -93.291],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.379, -13.529, -14.134, -14.22, -34.187, -17.638, -13.161, -12.06, -13.367, -47.185, -79.62, -93.316, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
