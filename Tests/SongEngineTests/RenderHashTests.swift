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
/// the hashes in the same commit and says which request moved and why. MP3 files are left out: their bytes are
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
            "manifest.json": "f990283da7752964",
            "v1/instrumental.wav": "617989c4cbdb52a8",
            "v1/mix.wav": "84480281d8176779",
            "v1/song.mid": "a90163534ea5de51",
            "v1/vocals.wav": "58915d16e3185850",
            "v2/instrumental.wav": "3ec160e5f9e678a2",
            "v2/mix.wav": "ac4bba75a6435c51",
            "v2/song.mid": "cf2bc86fd127d14c",
            "v2/vocals.wav": "126d92d7c7da3b18",
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
            "v1/mix.wav": "d3d2129bcde16ea2",
            "v1/song.mid": "91be6f0bc6c1081a",
            "v1/vocals.wav": "d3d2129bcde16ea2",
        ],
        "voice": [
            "cover.png": "b750d862ecc55a21",
            "cover_thumb.png": "3dbda6417832dda4",
            "lyrics-v1.lrc": "b897a50d6086b458",
            "manifest.json": "e130572bc03a68bd",
            "v1/instrumental.wav": "be4f90f641dfc192",
            "v1/mix.wav": "a30b546a656ef992",
            "v1/song.mid": "b36f0b719c3e601e",
            "v1/vocals.wav": "831c69494f0462cf",
        ],
    ]

    /// The platform the hashes were taken on (see above), and this one.
    static let referenceLibc = "2.36"
    static let libcVersion: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return "unknown" }
        return String(cString: buffer).replacingOccurrences(of: "glibc ", with: "")
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
        "sung/v1/instrumental.wav": [-17.536, -18.67, -19.127, -19.819, -18.638, -18.075, -18.772, -19.348, -19.109, -17.318, -17.344, -19.329, -19.695, -18.049, -18.522, -19.429, -20.733, -18.002, -18.02, -18.625, -19.048, -18.623, -18.282, -19.211, -19.553, -19.503, -18.057, -18.776, -19.333, -19.967, -17.493, -16.95, -17.718, -18.692, -16.76, -16.616, -22.954, -35.698, -48.384, -60.57, -71.564, -83.079, -91.042, -93.205, -93.322, -93.336, -93.3, -93.365],
        "sung/v1/mix.wav": [-14.128, -14.789, -15.638, -14.762, -16.42, -14.976, -15.003, -15.857, -15.485, -16.273, -16.198, -14.106, -14.644, -14.459, -16.564, -16.227, -15.423, -15.302, -15.02, -16.913, -17.272, -14.145, -13.73, -15.014, -14.45, -14.546, -13.764, -14.37, -16.412, -14.419, -16.799, -15.998, -16.536, -17.35, -15.714, -15.648, -21.352, -32.941, -45.251, -57.306, -68.243, -79.952, -89.294, -93.086, -93.309, -93.328, -93.304, -93.365],
        "sung/v1/vocals.wav": [-17.797, -16.754, -18.453, -15.793, -18.736, -20.023, -18.786, -16.696, -16.607, -20.502, -53.19, -27.925, -14.872, -15.53, -16.85, -21.552, -20.933, -17.534, -17.475, -19.257, -20.499, -50.871, -16.417, -14.872, -14.972, -15.63, -15.63, -15.311, -13.833, -15.586, -18.479, -15.248, -46.637, -58.31, -72.75, -86.607, -92.943, -93.258, -93.36, -93.319, -93.309, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "sung/v2/instrumental.wav": [-17.873, -18.471, -19.662, -19.988, -18.782, -18.034, -19.378, -19.876, -19.934, -17.759, -17.421, -19.51, -20.301, -17.921, -18.553, -19.014, -20.717, -17.981, -18.263, -18.839, -19.136, -19.041, -18.508, -19.436, -19.766, -19.615, -18.12, -19.01, -19.552, -20.256, -17.856, -16.963, -17.909, -19.151, -16.886, -17.004, -23.013, -35.629, -48.119, -60.1, -71.118, -83.033, -91.042, -93.198, -93.32, -93.344, -93.302, -93.366],
        "sung/v2/mix.wav": [-13.84, -14.335, -15.341, -14.178, -16.221, -14.573, -15.104, -15.593, -15.599, -16.703, -16.276, -14.581, -15.331, -14.141, -16.291, -15.607, -15.116, -15.154, -14.922, -17.013, -17.367, -15.328, -14.783, -15.817, -15.446, -14.699, -14.331, -14.988, -16.318, -15.23, -16.849, -16.029, -16.702, -17.747, -15.748, -15.945, -21.397, -32.877, -45.003, -56.856, -67.829, -79.927, -89.386, -93.055, -93.317, -93.342, -93.3, -93.365],
        "sung/v2/vocals.wav": [-16.809, -15.354, -17.119, -14.597, -17.018, -18.47, -17.632, -16.536, -15.682, -19.918, -51.974, -26.883, -15.756, -16.487, -15.863, -19.615, -19.488, -16.167, -16.628, -18.285, -19.588, -50.401, -17.96, -17.42, -17.854, -17.286, -16.712, -16.309, -15.163, -17.738, -18.877, -17.207, -48.792, -60.77, -74.07, -88.281, -93.026, -93.251, -93.361, -93.319, -93.309, -93.333, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/mix.wav": [-16.242, -15.86, -17.239, -15.162, -17.786, -17.125, -16.56, -16.764, -15.609, -19.764, -49.491, -24.373, -14.842, -15.689, -16.394, -18.754, -17.68, -16.062, -16.432, -17.625, -19.552, -48.522, -16.94, -16.739, -17.273, -16.737, -16.077, -16.078, -15.576, -16.849, -17.704, -17.386, -46.999, -58.073, -71.335, -86.22, -92.865, -93.253, -93.36, -93.318, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "vocal-only/v1/vocals.wav": [-16.242, -15.86, -17.239, -15.162, -17.786, -17.125, -16.56, -16.764, -15.609, -19.764, -49.491, -24.373, -14.842, -15.689, -16.394, -18.754, -17.68, -16.062, -16.432, -17.625, -19.552, -48.522, -16.94, -16.739, -17.273, -16.737, -16.077, -16.078, -15.576, -16.849, -17.704, -17.386, -46.999, -58.073, -71.335, -86.22, -92.865, -93.253, -93.36, -93.318, -93.308, -93.332, -93.341, -93.343, -93.31, -93.335, -93.323, -93.318],
        "voice/v1/instrumental.wav": [-34.779, -32.882, -34.159, -33.436, -31.798, -33.162, -31.174, -34.341, -29.851, -34.0, -31.594, -36.051, -30.816, -33.951, -31.553, -33.148, -31.81, -16.175, -16.252, -16.051, -15.65, -14.524, -15.687, -16.083, -15.878, -16.149, -30.453, -32.713, -34.613, -33.712, -32.171, -32.775, -30.951, -32.767, -28.238, -31.082, -28.703, -29.906, -29.24, -29.892, -28.673, -29.321, -30.868, -32.026, -57.425, -84.551, -93.292, -93.292],
        "voice/v1/mix.wav": [-23.973, -22.021, -23.262, -22.541, -20.901, -22.252, -20.284, -23.458, -19.015, -23.184, -20.723, -25.128, -19.942, -23.057, -20.658, -22.268, -20.97, -11.574, -10.294, -10.477, -10.135, -9.183, -9.779, -10.5, -11.246, -10.201, -20.371, -21.848, -23.702, -22.805, -21.276, -21.878, -20.063, -21.915, -17.543, -20.405, -18.065, -19.267, -18.471, -19.212, -17.972, -18.693, -20.047, -21.191, -46.533, -74.239, -92.876, -93.287],
        "voice/v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.796, -12.956, -14.169, -13.546, -28.944, -18.509, -13.049, -12.081, -14.013, -49.678, -82.306, -93.317, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
                            "\(c.name)/\(name): fingerprint off by \(worst) dB: \(print.map { (($0 * 1000).rounded() / 1000) })")
                } else {
                    #expect(got[name] == expected[name], "\(c.name)/\(name): [\(listing)]")
                }
            }
        } else {
            #expect(got == expected, "\(c.name) on glibc \(Self.libcVersion): [\(listing)]")
        }
    }
}
