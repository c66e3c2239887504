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
/// (FFTW_NO_SIMD), so the sung cases stay the same bytes on every x86-64 CPU. Issue 14 moved the sung cases' stems
/// (stop 35): a stem runs the master's two match-EQ stages as one merged stage. The sung fingerprints were taken
/// again then, on the reference platform: the mixes' no longer matched their files' samples, whose hashes had not
/// moved. MP3 files are left out: their bytes
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
            "cover.png": "5c82fb682532bc9a",
            "cover_thumb.png": "eb41590c0c6cf0e8",
            "lyrics-v1.lrc": "1ed276fd950ffb7e",
            "lyrics-v2.lrc": "1ed276fd950ffb7e",
            "manifest.json": "b89b06adea629e37",
            "v1/instrumental.wav": "97e7189d15f57283",
            "v1/mix.wav": "aaa9ac427b5bad05",
            "v1/song.mid": "3428cb97394e416f",
            "v1/vocals.wav": "dcb6c9c9b21ac217",
            "v2/instrumental.wav": "b51b1dc2539af17",
            "v2/mix.wav": "b4009c7b9ef337d6",
            "v2/song.mid": "c55d21c9784ff163",
            "v2/vocals.wav": "d8afaa290796523f",
        ],
        "instrumental": [
            "cover.png": "dd48c0783bae79fe",
            "cover_thumb.png": "42929e14f1f08f13",
            "manifest.json": "858c17461190a4ba",
            "v1/instrumental.wav": "9e896ebee4683e57",
            "v1/mix.wav": "9e896ebee4683e57",
            "v1/song.mid": "540c51396d8247c4",
            "v2/instrumental.wav": "489b67ed6ad711c9",
            "v2/mix.wav": "489b67ed6ad711c9",
            "v2/song.mid": "9e278bb31ca988c0",
        ],
        "vocal-only": [
            "cover.png": "5c82fb682532bc9a",
            "cover_thumb.png": "eb41590c0c6cf0e8",
            "lyrics-v1.lrc": "1ed276fd950ffb7e",
            "manifest.json": "cff407d7b08f10ac",
            "v1/mix.wav": "1c5d4a429a0cffb3",
            "v1/song.mid": "f9f6119a0f73504d",
            "v1/vocals.wav": "1c5d4a429a0cffb3",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "110f3443846ec8e9",
            "v1/instrumental.wav": "49ea99410d015ce0",
            "v1/mix.wav": "66a544e3d87d5435",
            "v1/song.mid": "62ad3d148b24dda1",
            "v1/vocals.wav": "8ad766029e444ec3",
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
        "instrumental/v2/instrumental.wav": [-16.749, -17.798, -15.71, -15.555, -17.333, -16.354, -18.58, -15.295, -15.52, -16.993, -16.281, -17.753, -17.927, -15.827, -15.103, -15.518, -19.494, -17.943, -15.042, -14.856, -16.798, -17.924, -17.348, -15.763, -15.436, -17.595, -16.552, -18.685, -15.58, -16.036, -16.563, -15.106, -17.679, -18.029, -15.997, -15.869, -19.633, -27.333, -39.078, -49.992, -60.558, -73.386, -83.757, -92.003, -93.161, -93.331, -93.299, -93.362],
        "instrumental/v2/mix.wav": [-16.749, -17.798, -15.71, -15.555, -17.333, -16.354, -18.58, -15.295, -15.52, -16.993, -16.281, -17.753, -17.927, -15.827, -15.103, -15.518, -19.494, -17.943, -15.042, -14.856, -16.798, -17.924, -17.348, -15.763, -15.436, -17.595, -16.552, -18.685, -15.58, -16.036, -16.563, -15.106, -17.679, -18.029, -15.997, -15.869, -19.633, -27.333, -39.078, -49.992, -60.558, -73.386, -83.757, -92.003, -93.161, -93.331, -93.299, -93.362],
        "sung/v1/instrumental.wav": [-17.121, -24.212, -18.008, -18.498, -23.416, -17.397, -24.842, -19.997, -18.002, -20.985, -16.888, -24.285, -26.407, -17.376, -18.28, -17.431, -23.723, -24.723, -17.127, -18.287, -20.077, -18.911, -24.248, -17.672, -18.46, -23.773, -17.069, -24.61, -18.224, -18.531, -21.834, -15.516, -21.175, -22.471, -15.41, -17.077, -23.972, -32.5, -43.589, -54.769, -66.316, -77.94, -88.073, -93.027, -93.301, -93.335, -93.302, -93.366],
        "sung/v1/mix.wav": [-14.774, -16.982, -16.182, -16.134, -17.793, -14.84, -18.771, -17.507, -15.056, -19.99, -15.368, -18.964, -18.984, -15.083, -16.879, -14.918, -16.799, -17.11, -14.299, -16.451, -17.558, -15.264, -18.415, -15.972, -16.153, -19.198, -15.379, -17.071, -15.849, -15.568, -20.837, -14.924, -18.795, -19.473, -14.755, -16.081, -21.188, -29.176, -40.116, -51.26, -62.808, -74.48, -85.323, -92.698, -93.257, -93.338, -93.303, -93.365],
        "sung/v1/vocals.wav": [-17.573, -17.974, -20.18, -19.077, -20.611, -18.748, -19.057, -20.895, -16.508, -19.653, -51.374, -19.114, -22.427, -22.175, -18.656, -24.645, -18.395, -17.67, -20.842, -17.5, -20.564, -50.593, -16.928, -18.264, -21.353, -21.441, -22.136, -18.856, -17.303, -21.074, -17.126, -16.844, -49.976, -62.268, -74.754, -89.215, -93.08, -93.268, -93.36, -93.318, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-18.094, -18.52, -18.686, -21.495, -19.526, -18.088, -18.683, -19.738, -22.128, -17.87, -18.239, -19.107, -23.863, -18.137, -18.615, -18.495, -24.769, -18.313, -18.158, -18.282, -20.281, -19.962, -18.12, -18.668, -19.445, -22.176, -17.991, -18.624, -19.016, -23.985, -18.028, -17.054, -17.196, -22.189, -17.203, -16.724, -26.307, -35.979, -47.009, -58.002, -69.127, -80.976, -90.149, -93.09, -93.322, -93.341, -93.3, -93.364],
        "sung/v2/mix.wav": [-14.526, -15.875, -16.558, -17.621, -16.179, -15.085, -16.372, -16.869, -15.82, -16.584, -16.3, -16.892, -19.927, -15.897, -16.765, -15.036, -16.649, -15.885, -14.845, -16.354, -17.388, -15.406, -16.551, -15.713, -17.335, -20.054, -15.477, -14.915, -16.689, -16.56, -17.045, -15.86, -15.89, -20.143, -16.127, -15.56, -23.947, -32.741, -43.633, -54.617, -65.739, -77.728, -88.022, -92.852, -93.284, -93.339, -93.304, -93.363],
        "sung/v2/vocals.wav": [-17.809, -18.469, -21.155, -20.024, -23.706, -17.349, -19.104, -20.081, -16.904, -19.56, -51.411, -19.827, -22.757, -22.704, -20.28, -25.291, -18.776, -18.187, -20.217, -18.284, -21.781, -51.657, -16.719, -18.642, -20.827, -21.078, -21.804, -21.904, -17.575, -19.476, -17.549, -16.731, -48.844, -60.863, -72.628, -87.688, -92.989, -93.262, -93.358, -93.318, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-15.815, -15.733, -17.516, -15.279, -18.047, -17.269, -16.834, -18.079, -15.152, -17.883, -46.842, -22.93, -14.365, -15.041, -15.479, -20.25, -18.118, -17.059, -16.874, -17.767, -20.258, -47.847, -29.488, -15.278, -16.41, -14.437, -17.861, -16.42, -15.682, -17.182, -17.584, -17.773, -45.649, -57.57, -72.295, -87.685, -93.038, -93.27, -93.364, -93.317, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-15.815, -15.733, -17.516, -15.279, -18.047, -17.269, -16.834, -18.079, -15.152, -17.883, -46.842, -22.93, -14.365, -15.041, -15.479, -20.25, -18.118, -17.059, -16.874, -17.767, -20.258, -47.847, -29.488, -15.278, -16.41, -14.437, -17.861, -16.42, -15.682, -17.182, -17.584, -17.773, -45.649, -57.57, -72.295, -87.685, -93.038, -93.27, -93.364, -93.317, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-30.344, -30.628, -32.186, -30.334, -29.145, -29.551, -28.46, -29.246, -27.065, -32.158, -29.928, -32.015, -28.395, -30.263, -28.57, -28.689, -28.316, -17.827, -18.568, -19.371, -17.753, -16.944, -17.91, -15.024, -14.648, -15.061, -16.342, -15.583, -15.6, -15.34, -15.345, -15.779, -16.739, -15.219, -15.453, -15.198, -15.296, -15.486, -16.255, -20.054, -24.172, -23.378, -25.778, -29.166, -55.692, -82.766, -93.263, -93.296],
        "voice/v1/mix.wav": [-24.645, -23.622, -25.245, -23.87, -22.577, -23.176, -21.211, -22.891, -20.647, -25.615, -23.261, -24.275, -22.065, -23.825, -21.707, -21.535, -21.478, -13.924, -13.031, -13.825, -13.309, -14.081, -12.847, -11.994, -12.291, -13.895, -16.321, -15.152, -15.658, -15.48, -14.898, -15.777, -16.542, -15.025, -15.484, -15.073, -15.01, -15.327, -15.023, -16.438, -17.219, -16.401, -18.512, -23.371, -47.926, -75.322, -92.926, -93.288],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -20.984, -15.107, -15.93, -15.872, -34.742, -18.512, -14.79, -14.054, -16.041, -47.428, -86.803, -93.318, -93.34, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
