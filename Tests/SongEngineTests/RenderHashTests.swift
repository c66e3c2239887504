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
            "lyrics-v1.lrc": "8e6d5a81de37b7a4",
            "lyrics-v2.lrc": "8e6d5a81de37b7a4",
            "manifest.json": "1a8740aa1bdc3c8c",
            "v1/instrumental.wav": "d48e247ecb703247",
            "v1/mix.wav": "b3c31328437298b9",
            "v1/song.mid": "3428cb97394e416f",
            "v1/vocals.wav": "4c38eb7d4172275",
            "v2/instrumental.wav": "3e63cf0ba58da13a",
            "v2/mix.wav": "f2c501afc74dcda7",
            "v2/song.mid": "c55d21c9784ff163",
            "v2/vocals.wav": "df797f66e045124f",
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
            "v1/mix.wav": "e3d80c7f27843e20",
            "v1/song.mid": "f9f6119a0f73504d",
            "v1/vocals.wav": "e3d80c7f27843e20",
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
        "sung/v1/instrumental.wav": [-17.659, -25.557, -18.524, -19.103, -24.117, -17.917, -26.118, -20.465, -18.533, -21.601, -17.426, -25.458, -26.891, -17.893, -18.916, -17.899, -24.352, -25.946, -17.636, -18.946, -20.566, -19.441, -25.457, -18.191, -19.036, -24.268, -17.587, -25.967, -18.699, -19.034, -22.555, -15.988, -22.331, -22.929, -15.914, -17.81, -24.182, -32.474, -43.315, -54.379, -65.933, -77.319, -87.691, -93.02, -93.291, -93.339, -93.301, -93.366],
        "sung/v1/mix.wav": [-14.809, -17.142, -16.021, -15.984, -16.984, -15.457, -18.022, -17.047, -14.437, -20.433, -15.856, -21.306, -20.215, -14.532, -16.904, -15.642, -16.833, -15.611, -13.694, -15.971, -17.674, -16.113, -17.943, -16.22, -16.785, -18.933, -16.056, -17.525, -15.901, -15.394, -21.089, -15.085, -19.767, -19.734, -14.956, -16.489, -21.172, -28.972, -39.705, -50.752, -62.307, -73.752, -84.794, -92.63, -93.25, -93.344, -93.303, -93.366],
        "sung/v1/vocals.wav": [-20.763, -18.181, -21.06, -18.064, -21.327, -17.624, -17.41, -21.178, -16.648, -19.26, -51.314, -23.747, -26.026, -26.429, -18.525, -26.065, -22.062, -17.734, -17.808, -16.827, -16.866, -30.307, -17.178, -20.005, -18.87, -23.818, -19.891, -18.927, -19.478, -19.597, -17.307, -17.303, -50.265, -62.821, -76.359, -90.121, -93.186, -93.269, -93.358, -93.318, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-18.722, -19.173, -19.293, -22.071, -20.307, -18.725, -19.305, -20.362, -22.872, -18.512, -18.904, -19.748, -24.775, -18.784, -19.249, -19.128, -25.62, -18.96, -18.784, -18.897, -20.896, -20.738, -18.783, -19.276, -20.075, -23.014, -18.626, -19.257, -19.613, -24.831, -18.641, -17.635, -17.862, -22.946, -17.856, -17.374, -26.6, -36.051, -46.857, -57.63, -68.75, -80.664, -90.063, -93.057, -93.311, -93.346, -93.303, -93.363],
        "sung/v2/mix.wav": [-14.838, -15.989, -16.395, -17.499, -16.62, -15.689, -16.045, -17.005, -14.853, -17.217, -16.507, -17.483, -20.777, -15.269, -17.258, -16.215, -16.406, -15.343, -14.566, -15.825, -17.306, -16.222, -16.208, -16.341, -17.452, -20.099, -15.561, -15.429, -15.823, -16.234, -17.547, -16.289, -16.421, -20.704, -16.63, -16.046, -24.065, -32.728, -43.387, -54.135, -65.256, -77.298, -87.866, -92.773, -93.277, -93.336, -93.305, -93.363],
        "sung/v2/vocals.wav": [-19.364, -17.906, -20.884, -18.45, -24.634, -17.629, -17.644, -19.869, -15.724, -19.041, -49.79, -23.836, -26.268, -26.033, -19.181, -25.35, -21.933, -17.861, -18.274, -17.629, -17.589, -27.852, -16.212, -19.94, -18.839, -22.842, -20.974, -21.181, -20.389, -19.675, -17.119, -16.516, -49.617, -62.611, -74.53, -88.631, -93.152, -93.263, -93.356, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-17.418, -16.581, -18.376, -15.087, -20.492, -17.299, -16.852, -17.195, -15.63, -18.185, -47.251, -17.739, -17.088, -18.364, -14.418, -17.517, -16.942, -15.254, -16.549, -17.944, -17.986, -22.973, -14.261, -17.074, -15.568, -17.803, -17.086, -14.801, -16.998, -18.501, -16.869, -17.251, -45.516, -56.38, -71.451, -85.647, -92.992, -93.262, -93.359, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-17.418, -16.581, -18.376, -15.087, -20.492, -17.299, -16.852, -17.195, -15.63, -18.185, -47.251, -17.739, -17.088, -18.364, -14.418, -17.517, -16.942, -15.254, -16.549, -17.944, -17.986, -22.973, -14.261, -17.074, -15.568, -17.803, -17.086, -14.801, -16.998, -18.501, -16.869, -17.251, -45.516, -56.38, -71.451, -85.647, -92.992, -93.262, -93.359, -93.318, -93.308, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
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
