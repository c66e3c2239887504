import Foundation
import Testing
@testable import SongEngine

/// Issue 10: restructuring must not change a sound. A fixed set of requests (sung, instrumental, vocal-only, a
/// catalog voice) is rendered and every output file hashed; the hashes were taken before the restructuring began.
///
/// The "voice" case runs the vocal through the FFT shifter, and FFTW picks SIMD code by the CPU it runs on, so on
/// another CPU its audio may differ in the last bits (and the manifest's loudness figures with it). Its WAV files
/// therefore also carry a fingerprint (RMS of 48 equal blocks, dB): where the exact hashes differ, the WAV files must
/// match their fingerprints within 0.05 dB and every other file its hash. On the machine the hashes were taken on
/// (AMD EPYC, AVX-512) they are byte-identical.
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

    static let fingerprints: [String: [Double]] = [
        "v1/instrumental.wav": [-34.779, -32.882, -34.159, -33.436, -31.798, -33.162, -31.174, -34.341, -29.851, -34.0, -31.594, -36.051, -30.816, -33.951, -31.553, -33.148, -31.81, -16.175, -16.252, -16.051, -15.65, -14.524, -15.687, -16.083, -15.878, -16.149, -30.453, -32.713, -34.613, -33.712, -32.171, -32.775, -30.951, -32.767, -28.238, -31.082, -28.703, -29.906, -29.24, -29.892, -28.673, -29.321, -30.868, -32.026, -57.425, -84.551, -93.292, -93.292],
        "v1/mix.wav": [-23.973, -22.021, -23.262, -22.541, -20.901, -22.252, -20.284, -23.458, -19.015, -23.184, -20.723, -25.128, -19.942, -23.057, -20.658, -22.268, -20.97, -11.574, -10.294, -10.477, -10.135, -9.183, -9.779, -10.5, -11.246, -10.201, -20.371, -21.848, -23.702, -22.805, -21.276, -21.878, -20.063, -21.915, -17.543, -20.405, -18.065, -19.267, -18.471, -19.212, -17.972, -18.693, -20.047, -21.191, -46.533, -74.239, -92.876, -93.287],
        "v1/vocals.wav": [-93.304, -93.338, -93.317, -93.349, -93.301, -93.361, -93.323, -93.324, -93.325, -93.314, -93.327, -93.322, -93.32, -93.312, -93.29, -93.315, -93.325, -18.796, -12.956, -14.169, -13.546, -28.944, -18.509, -13.049, -12.081, -14.013, -49.678, -82.306, -93.317, -93.339, -93.298, -93.286, -93.323, -93.334, -93.326, -93.326, -93.316, -93.3, -93.31, -93.321, -93.308, -93.303, -93.321, -93.316, -93.315, -93.304, -93.33, -93.338],
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
        if c.cpuDependent && got != expected {
            // Another CPU: the WAV files by fingerprint, everything but the manifest by hash.
            #expect(Set(got.keys) == Set(expected.keys), "\(c.name): [\(listing)]")
            for name in got.keys.sorted() where name != "manifest.json" {
                if name.hasSuffix(".wav") {
                    let print = try Self.fingerprint(result.directory.appendingPathComponent(name))
                    let reference = Self.fingerprints[name] ?? []
                    let worst = zip(print, reference).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(print.count == reference.count && worst <= 0.05,
                            "\(c.name)/\(name): fingerprint off by \(worst) dB: \(print.map { (($0 * 1000).rounded() / 1000) })")
                } else {
                    #expect(got[name] == expected[name], "\(c.name)/\(name): [\(listing)]")
                }
            }
        } else {
            #expect(got == expected, "\(c.name): [\(listing)]")
        }
        if c.cpuDependent && Self.fingerprints.isEmpty {
            for name in got.keys.sorted() where name.hasSuffix(".wav") {
                let print = try Self.fingerprint(result.directory.appendingPathComponent(name))
                Issue.record("fingerprint \(name): \(print.map { (($0 * 1000).rounded() / 1000) })")
            }
        }
    }
}
