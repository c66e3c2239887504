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
/// moved. Issue 11 moved the "voice" case's melody (stop 38: a line may take an earlier opening moved in the bar);
/// its hashes and fingerprints were taken again on a Debian 12 EPYC without AVX-512 (same glibc), so on the
/// reference CPU its WAV files match by fingerprint. MP3 files are left out: their bytes
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
            "lyrics-v1.lrc": "8e6d5a81de37b7a4",
            "lyrics-v2.lrc": "8e6d5a81de37b7a4",
            "manifest.json": "424f9eaa1d4e3943",
            "v1/instrumental.wav": "d85e1f16145df278",
            "v1/mix.wav": "7f151af507d78d4",
            "v1/song.mid": "3428cb97394e416f",
            "v1/vocals.wav": "ff018d25f8b02ab3",
            "v2/instrumental.wav": "9f50bafb54370c46",
            "v2/mix.wav": "d4a9ba3c28b66c39",
            "v2/song.mid": "c55d21c9784ff163",
            "v2/vocals.wav": "bccddabb6baf73df",
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
            "lyrics-v1.lrc": "8e6d5a81de37b7a4",
            "manifest.json": "db3dd8dea2ceb113",
            "v1/mix.wav": "eecb674ca4c59c54",
            "v1/song.mid": "f9f6119a0f73504d",
            "v1/vocals.wav": "eecb674ca4c59c54",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "5ab3af721e40f08a",
            "v1/instrumental.wav": "c580f4a6938e3266",
            "v1/mix.wav": "9ba19d67346b766e",
            "v1/song.mid": "50bb7a7593622857",
            "v1/vocals.wav": "b55857adab8f9951",
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
        "sung/v1/instrumental.wav": [-17.701, -25.608, -18.573, -19.142, -24.162, -17.955, -26.117, -20.534, -18.561, -21.594, -17.467, -25.474, -26.947, -17.934, -18.953, -17.946, -24.359, -25.968, -17.676, -18.98, -20.622, -19.468, -25.51, -18.238, -19.077, -24.332, -17.627, -25.988, -18.752, -19.064, -22.527, -16.027, -22.381, -22.994, -15.958, -17.843, -24.206, -32.458, -43.299, -54.362, -65.918, -77.303, -87.681, -93.02, -93.291, -93.339, -93.302, -93.366],
        "sung/v1/mix.wav": [-14.81, -17.107, -16.037, -15.958, -16.985, -15.46, -18.072, -17.068, -14.391, -20.405, -15.912, -21.32, -20.461, -14.545, -16.924, -15.664, -16.807, -15.689, -13.696, -15.971, -17.664, -16.069, -17.903, -16.382, -16.852, -18.925, -16.044, -17.586, -15.927, -15.369, -21.031, -15.107, -19.793, -19.775, -14.984, -16.501, -21.174, -28.934, -39.667, -50.713, -62.271, -73.713, -84.757, -92.624, -93.249, -93.344, -93.303, -93.366],
        "sung/v1/vocals.wav": [-20.715, -18.155, -21.041, -18.037, -21.313, -17.602, -17.434, -21.216, -16.602, -19.232, -51.274, -23.74, -26.032, -26.969, -18.505, -26.24, -22.017, -17.688, -17.878, -16.792, -16.834, -30.269, -17.126, -19.972, -18.844, -26.085, -19.839, -18.89, -19.443, -19.685, -17.273, -17.267, -50.217, -62.873, -76.358, -90.119, -93.18, -93.269, -93.358, -93.319, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-18.713, -19.171, -19.286, -21.993, -20.364, -18.726, -19.302, -20.339, -22.911, -18.512, -18.898, -19.736, -24.808, -18.782, -19.246, -19.123, -25.621, -18.963, -18.783, -18.896, -20.847, -20.801, -18.786, -19.271, -20.056, -23.055, -18.624, -19.255, -19.603, -24.861, -18.644, -17.631, -17.855, -22.912, -17.866, -17.375, -26.59, -36.028, -46.841, -57.623, -68.738, -80.659, -90.058, -93.057, -93.311, -93.345, -93.304, -93.364],
        "sung/v2/mix.wav": [-14.775, -15.969, -16.367, -17.394, -16.689, -15.7, -16.171, -17.003, -14.84, -17.226, -16.46, -17.531, -21.113, -15.238, -17.307, -16.197, -16.374, -15.296, -14.541, -15.829, -17.217, -16.165, -16.182, -16.628, -17.643, -20.12, -15.551, -15.513, -15.814, -16.141, -17.565, -16.276, -16.408, -20.657, -16.642, -16.041, -24.056, -32.71, -43.375, -54.132, -65.247, -77.299, -87.858, -92.766, -93.278, -93.336, -93.305, -93.363],
        "sung/v2/vocals.wav": [-19.172, -17.732, -20.735, -18.298, -24.868, -17.608, -17.833, -19.787, -15.68, -19.031, -49.717, -23.819, -26.331, -26.964, -19.136, -25.5, -21.841, -17.817, -18.277, -17.587, -17.563, -27.631, -16.032, -19.801, -18.765, -25.553, -21.015, -21.122, -20.354, -19.86, -17.036, -16.38, -49.44, -62.546, -74.361, -88.525, -93.145, -93.265, -93.357, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-17.412, -16.606, -18.396, -15.075, -20.555, -17.291, -16.926, -17.269, -15.616, -18.18, -47.235, -17.727, -17.078, -18.389, -14.41, -17.511, -16.927, -15.242, -16.577, -17.937, -18.001, -22.957, -14.25, -17.065, -15.559, -17.927, -17.066, -14.791, -16.988, -18.57, -16.86, -17.267, -45.534, -56.426, -71.516, -85.712, -92.986, -93.266, -93.36, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-17.412, -16.606, -18.396, -15.075, -20.555, -17.291, -16.926, -17.269, -15.616, -18.18, -47.235, -17.727, -17.078, -18.389, -14.41, -17.511, -16.927, -15.242, -16.577, -17.937, -18.001, -22.957, -14.25, -17.065, -15.559, -17.927, -17.066, -14.791, -16.988, -18.57, -16.86, -17.267, -45.534, -56.426, -71.516, -85.712, -92.986, -93.266, -93.36, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-30.506, -30.802, -32.397, -30.567, -29.376, -29.744, -28.698, -29.447, -27.335, -32.33, -30.113, -32.194, -28.681, -30.451, -28.822, -28.891, -28.576, -17.822, -18.531, -19.363, -17.722, -16.938, -17.849, -14.967, -14.32, -14.685, -16.232, -15.499, -15.346, -15.17, -15.252, -15.546, -16.705, -15.064, -15.326, -15.074, -15.127, -15.337, -16.104, -20.034, -24.053, -23.018, -25.705, -29.28, -55.949, -82.931, -93.269, -93.295],
        "voice/v1/mix.wav": [-24.649, -23.729, -25.315, -23.982, -22.668, -23.222, -21.349, -22.997, -20.807, -25.628, -23.3, -24.347, -22.225, -23.884, -21.82, -21.579, -21.696, -13.229, -12.423, -13.707, -13.206, -13.913, -13.148, -13.141, -13.144, -14.229, -16.347, -14.997, -15.554, -15.314, -14.757, -15.639, -16.495, -14.916, -15.363, -14.901, -14.876, -15.179, -15.05, -16.332, -17.074, -16.015, -18.394, -23.354, -48.076, -75.4, -92.929, -93.288],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -19.859, -14.103, -15.417, -15.315, -33.831, -18.892, -15.242, -16.352, -23.703, -72.823, -93.298, -93.316, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
