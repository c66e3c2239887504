import Foundation
import Testing
@testable import SongEngine

@Suite struct RenderInstrumentLibraryTests {
    @Test func everyCatalogInstrumentLoads() throws {
        let library = try InstrumentLibrary.load(from: RenderFixtures.presetsDirectory)
        #expect(library.ids == InstrumentCatalog.entries.map(\.id).sorted())
        for entry in InstrumentCatalog.entries {
            switch library.instrument(entry.id) {
            case .kit(let drums)?:
                #expect(entry.id.hasSuffix("_kit"))
                for number in [36, 38, 37, 39, 42, 46, 41, 45, 48, 49, 51, 70] { #expect(drums[number] != nil) }
            case .voice?: #expect(!entry.id.hasSuffix("_kit"))
            case nil: Issue.record("\(entry.id) missing")
            }
        }
    }

    /// Copies the presets into a temporary directory, lets `edit` break one, and returns the load error's text.
    func loadError(_ edit: (URL) throws -> Void) throws -> String? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("presets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in try FileManager.default.contentsOfDirectory(atPath: RenderFixtures.presetsDirectory.path) {
            try FileManager.default.copyItem(at: RenderFixtures.presetsDirectory.appendingPathComponent(file),
                                             to: directory.appendingPathComponent(file))
        }
        try edit(directory)
        do {
            _ = try InstrumentLibrary.load(from: directory)
            return nil
        } catch let error as InstrumentPresetError {
            return error.description
        }
    }

    @Test func outOfRangeValueNamesFileFieldValueAndRange() throws {
        let message = try loadError { directory in
            try #"{"id": "piano", "engine": "additive", "cutoff": 50000}"#
                .write(to: directory.appendingPathComponent("piano.json"), atomically: true, encoding: .utf8)
        }
        let text = try #require(message)
        #expect(text.contains("piano.json"))
        #expect(text.contains("cutoff"))
        #expect(text.contains("50000"))
        #expect(text.contains("20.0...20000.0"))
    }

    @Test func brokenKitAndUnknownFieldsAreNamed() throws {
        let drum = try loadError { directory in
            try #"{"id": "lofi_kit", "drums": {"36": {"decay": 9}}}"#
                .write(to: directory.appendingPathComponent("lofi_kit.json"), atomically: true, encoding: .utf8)
        }
        #expect(drum?.contains("lofi_kit.json") == true)
        #expect(drum?.contains("drums.36.decay") == true)
        #expect(drum?.contains("0.25...4.0") == true)
        let unknown = try loadError { directory in
            try #"{"id": "flute", "cutof": 900}"#
                .write(to: directory.appendingPathComponent("flute.json"), atomically: true, encoding: .utf8)
        }
        #expect(unknown?.contains("cutof") == true && unknown?.contains("unknown field") == true)
        let engine = try loadError { directory in
            try #"{"id": "flute", "engine": "granular"}"#
                .write(to: directory.appendingPathComponent("flute.json"), atomically: true, encoding: .utf8)
        }
        #expect(engine?.contains("engine") == true && engine?.contains("granular") == true)
        let missing = try loadError { directory in
            try FileManager.default.removeItem(at: directory.appendingPathComponent("marimba.json"))
        }
        #expect(missing?.contains("marimba.json") == true)
    }
}

@Suite struct RenderTests {
    /// One note of each kind of engine lands within 5 cents of its MIDI pitch (A4 = 440 Hz).
    @Test(arguments: [("piano", 69), ("acoustic_guitar", 57), ("warm_pad", 64), ("electric_bass", 40),
                      ("flute", 72), ("sub_bass", 36)])
    func singleNotePitch(instrument: String, pitch: Int) throws {
        let score = RenderFixtures.score(
            [RenderFixtures.track(.chords, instrument, [Note(start: 0, duration: 3, pitch: pitch, velocity: 100)])],
            beats: 3)
        let song = try Renderer.render(score: score, style: RenderFixtures.style(reverb: 0), instruments: RenderFixtures.library)
        let sr = song.mix.sampleRate
        // Analyse 1 s from 0.3 s after the onset (the pad's slow attack is on its way by then).
        let segment = song.mix.left[Int(0.3 * Double(sr))..<Int(1.3 * Double(sr))]
        #expect(RenderFixtures.rms(segment) > 0.003)
        let expected = 440 * pow(2, Double(pitch - 69) / 12)
        let measured = RenderFixtures.pitch(of: segment, sampleRate: sr, expected: expected)
        let error = RenderFixtures.cents(measured, from: expected)
        #expect(abs(error) < 5, "\(instrument) \(pitch): \(measured) Hz, \(error) cents")
    }

    /// Ambient's drone bass sounds a sine an octave under its note (the style's sub below 60 Hz); the round sub
    /// bass it is built from does not.
    @Test func droneBassAddsTheOctaveBelow() throws {
        func levels(_ instrument: String) throws -> (note: Double, sub: Double) {
            let score = RenderFixtures.score(
                [RenderFixtures.track(.bass, instrument, [Note(start: 0, duration: 3, pitch: 45, velocity: 100)])], beats: 3)
            let song = try Renderer.render(score: score, style: RenderFixtures.style(reverb: 0),
                                           instruments: RenderFixtures.library)
            let sr = Double(song.mix.sampleRate)
            let x = song.mix.left[Int(0.3 * sr)..<Int(1.3 * sr)].map(Double.init)
            func db(_ f: Double) -> Double {
                var re = 0.0, im = 0.0
                for (i, v) in x.enumerated() {
                    re += v * cos(2 * Double.pi * f * Double(i) / sr)
                    im += v * sin(2 * Double.pi * f * Double(i) / sr)
                }
                return 10 * log10(re * re + im * im + 1e-30)
            }
            return (db(110), db(55))
        }
        let drone = try levels("drone_bass"), round = try levels("sub_bass")
        #expect(drone.sub > drone.note - 6, "drone: 110 Hz \(drone.note) dB, 55 Hz \(drone.sub) dB")
        #expect(round.sub < round.note - 30, "sub_bass: 110 Hz \(round.note) dB, 55 Hz \(round.sub) dB")
    }

    @Test func silentScoreRendersSilence() throws {
        let score = RenderFixtures.score([RenderFixtures.track(.lead, "saw_lead", [])], beats: 8)
        let song = try Renderer.render(score: score, style: RenderFixtures.style(), instruments: RenderFixtures.library)
        #expect(song.mix.frames == 4 * 44100)
        #expect(song.mix.left.allSatisfy { $0 == 0 } && song.mix.right.allSatisfy { $0 == 0 })
    }

    @Test func drumsFreeScoreHasNoDrumStemAndStemsSumToMix() throws {
        let song = try Renderer.render(score: RenderFixtures.band(drums: false), style: RenderFixtures.style(delay: 0.3),
                                       instruments: RenderFixtures.library, stems: Set(Role.allCases))
        #expect(song.stems[.drums] == nil)
        #expect(Set(song.stems.keys) == [.chords, .bass, .lead])
        var worst: Float = 0
        for i in stride(from: 0, to: song.mix.frames, by: 7) {
            let sum = song.stems.values.reduce(Float(0)) { $0 + $1.left[i] }
            worst = max(worst, abs(sum - song.mix.left[i]))
        }
        #expect(worst < 1e-5)
        #expect(RenderFixtures.rms(song.mix.left[...]) > 0.01)
    }

    @Test func lengthIsScorePlusTailEndingInSilence() throws {
        let song = try Renderer.render(score: RenderFixtures.band(), style: RenderFixtures.style(),
                                       instruments: RenderFixtures.library, stems: [.drums])
        let scoreFrames = 4 * 44100
        #expect(song.mix.frames > scoreFrames && song.mix.frames <= scoreFrames + 4 * 44100)
        #expect(song.mix.left.last == 0 && song.mix.right.last == 0)
        // The drums play: their stem is loud during the score.
        let drums = try #require(song.stems[.drums])
        #expect(RenderFixtures.rms(drums.left[0..<scoreFrames]) > 0.01)
        #expect(song.mix.left.allSatisfy { $0.isFinite })
    }

    @Test func rendersAreDeterministicAndParallelMatchesSerial() throws {
        let score = RenderFixtures.band()
        let style = RenderFixtures.style(delay: 0.2)
        let all = Set(Role.allCases)
        let a = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library, sampleRate: 44100,
                                    stems: all, parallel: true)
        let b = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library, sampleRate: 44100,
                                    stems: all, parallel: true)
        let serial = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library,
                                         sampleRate: 44100, stems: all, parallel: false)
        #expect(a.stems.count == 4)
        #expect(a.mix.left == b.mix.left && a.mix.right == b.mix.right)
        #expect(a.mix.left == serial.mix.left && a.mix.right == serial.mix.right)
        for role in a.stems.keys { #expect(a.stems[role]!.left == serial.stems[role]!.left) }
    }

    /// Brightness proxy: RMS of the first difference over RMS (rises with the spectral centroid).
    static func brightness(_ x: [Float]) -> Double {
        let diff = zip(x.dropFirst(), x).map { $0 - $1 }
        return RenderFixtures.rms(diff[...]) / max(1e-12, RenderFixtures.rms(x[...]))
    }

    /// The lo-fi and brush kits are darker than the acoustic kit, hit by hit (snare, closed hat).
    @Test(arguments: [38, 42])
    func softKitsAreDarker(number: Int) throws {
        func render(_ kit: String) throws -> [Float] {
            let score = RenderFixtures.score(
                [RenderFixtures.track(.drums, kit, [Note(start: 0, duration: 0.1, pitch: number, velocity: 110)])],
                beats: 2)
            var style = RenderFixtures.style(reverb: 0)
            style.parameters["drumDrive"] = 1
            return try Renderer.render(score: score, style: style, instruments: RenderFixtures.library).mix.left
        }
        let acoustic = Self.brightness(try render("acoustic_kit"))
        let lofi = Self.brightness(try render("lofi_kit"))
        let brush = Self.brightness(try render("brush_kit"))
        #expect(lofi < acoustic, "lofi \(lofi) vs acoustic \(acoustic)")
        #expect(brush < acoustic, "brush \(brush) vs acoustic \(acoustic)")
    }

    /// The delay is tempo-synced: a short marimba hit comes back delayBeats * 60 / bpm seconds later.
    @Test func delayEchoArrivesOnTheBeatGrid() throws {
        let score = RenderFixtures.score(
            [RenderFixtures.track(.lead, "marimba", [Note(start: 0, duration: 0.1, pitch: 84, velocity: 110)])],
            beats: 4, bpm: 100)
        var style = RenderFixtures.style(reverb: 0, delay: 0.6)
        style.parameters["delayBeats"] = 0.75
        let song = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library, stems: [.lead])
        let lead = try #require(song.stems[.lead])
        func energy(_ from: Double, _ to: Double) -> Double {
            let range = Int(from * 44100)..<Int(to * 44100)
            return RenderFixtures.rms(lead.left[range]) + RenderFixtures.rms(lead.right[range])
        }
        let echo = 0.75 * 60 / 100  // 0.45 s
        #expect(energy(echo, echo + 0.04) > 3 * energy(echo - 0.06, echo - 0.02))
    }

    /// The sung line has its own renderer: a vocals track adds nothing to the instrumental.
    @Test func vocalsTrackIsNotRendered() throws {
        var score = RenderFixtures.band(drums: false)
        let plain = try Renderer.render(score: score, style: RenderFixtures.style(), instruments: RenderFixtures.library)
        score.tracks.append(RenderFixtures.track(.vocals, "flute", [Note(start: 0, duration: 2, pitch: 72, velocity: 100)]))
        let withVocals = try Renderer.render(score: score, style: RenderFixtures.style(),
                                             instruments: RenderFixtures.library, stems: Set(Role.allCases))
        #expect(withVocals.stems[.vocals] == nil)
        #expect(withVocals.mix.left == plain.mix.left)
    }

    @Test func unknownInstrumentOrBrokenNoteIsAnError() {
        let score = RenderFixtures.score([RenderFixtures.track(.lead, "theremin", [])], beats: 4)
        #expect(throws: RenderError.self) {
            try Renderer.render(score: score, style: RenderFixtures.style(), instruments: RenderFixtures.library)
        }
        let broken = RenderFixtures.score(
            [RenderFixtures.track(.lead, "flute", [Note(start: 0, duration: .nan, pitch: 60, velocity: 90)])], beats: 4)
        #expect(throws: RenderError.self) {
            try Renderer.render(score: broken, style: RenderFixtures.style(), instruments: RenderFixtures.library)
        }
    }
}

@Suite struct RenderStreamingTests {
    static func plainStyle() -> StylePreset {
        var style = RenderFixtures.style(reverb: 0)
        style.parameters["drumDrive"] = 1
        return style
    }

    /// A note and a crash ringing across a window boundary come out sample for sample as they do at the song's
    /// start: the ring carries what rings past a window into the next.
    @Test func notesAcrossWindowBoundariesAreUnbroken() throws {
        // At 120 bpm a beat is 22050 frames: the last whole beat inside the first window, two beats long.
        let beats = Renderer.windowFrames / 22050
        let start = Double(beats)
        let offset = beats * 22050
        #expect(offset < Renderer.windowFrames && offset + 2 * 22050 > Renderer.windowFrames)
        func render(at beat: Double) throws -> StereoBuffer {
            let score = RenderFixtures.score(
                [RenderFixtures.track(.chords, "piano", [Note(start: beat, duration: 2, pitch: 60, velocity: 100)]),
                 RenderFixtures.track(.drums, "acoustic_kit", [Note(start: beat, duration: 0.1, pitch: 49, velocity: 110)])],
                beats: 16)
            return try Renderer.render(score: score, style: Self.plainStyle(), instruments: RenderFixtures.library).mix
        }
        let early = try render(at: 0)
        let late = try render(at: start)
        let length = 4 * 22050
        #expect(RenderFixtures.rms(early.left[0..<length]) > 0.01)
        var worst: Float = 0
        for i in 0..<length {
            worst = max(worst, abs(early.left[i] - late.left[offset + i]), abs(early.right[i] - late.right[offset + i]))
        }
        #expect(worst == 0)
        #expect(late.left[0..<offset].allSatisfy { $0 == 0 })
    }

    /// Stems cost a full-length buffer each, so only requested ones are made; the mix does not depend on them.
    @Test func stemsOnlyOnRequest() throws {
        let score = RenderFixtures.band()
        let style = RenderFixtures.style(delay: 0.2)
        let none = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library)
        let drums = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library, stems: [.drums])
        let all = try Renderer.render(score: score, style: style, instruments: RenderFixtures.library,
                                      stems: Set(Role.allCases))
        #expect(none.stems.isEmpty)
        #expect(Set(drums.stems.keys) == [.drums])
        #expect(Set(all.stems.keys) == [.chords, .bass, .lead, .drums])
        #expect(none.mix.left == all.mix.left && drums.mix.right == all.mix.right)
        // The requested stem is the same whichever others are requested.
        #expect(drums.stems[.drums]!.left == all.stems[.drums]!.left)
        var worst: Float = 0
        for i in 0..<all.mix.frames {
            let sum = all.stems.values.reduce(Float(0)) { $0 + $1.right[i] }
            worst = max(worst, abs(sum - all.mix.right[i]))
        }
        #expect(worst < 1e-5)
    }

    /// Working memory (rings, windows, buses, drum hit cache) does not grow with the song: 8 bars and 64 bars
    /// need the same (~9 MB: per part a window of stereo output and a ring, two effect buses); every distinct drum hit is synthesised once.
    @Test func workingMemoryIsBoundedAndHitsAreCached() throws {
        func stats(bars: Int) throws -> RenderStatistics {
            let statistics = RenderStatistics()
            _ = try Renderer.render(score: RenderFixtures.band(bars: bars), style: RenderFixtures.style(delay: 0.2),
                                    instruments: RenderFixtures.library, sampleRate: 44100, parallel: false,
                                    statistics: statistics)
            return statistics
        }
        let short = try stats(bars: 8)
        let long = try stats(bars: 64)
        #expect(long.workingBytes == short.workingBytes, "\(short.workingBytes) vs \(long.workingBytes) bytes")
        #expect(long.workingBytes < 12 << 20)
        // 64 bars: 512 hits of 3 drums at 2 velocities; 3 variants each at most.
        #expect(long.drumHitsPlayed == 64 * 8)
        #expect(long.drumHitsSynthesised <= 3 * Renderer.drumVariants)
    }

    /// Velocity applied to a cached hit follows the drum's level law (level ~ velocity^1.3): a hit at velocity
    /// 127 is about 20 * 1.3 * log10(127 / 64) = 7.7 dB above one at 64 (the tone shift moves it a little), and
    /// neighbouring velocities in one bucket differ by the law's small step.
    @Test func velocityScalesCachedHits() throws {
        func level(_ velocity: Int) throws -> Double {
            let score = RenderFixtures.score(
                [RenderFixtures.track(.drums, "acoustic_kit", [Note(start: 0, duration: 0.1, pitch: 38, velocity: velocity)])],
                beats: 2)
            let mix = try Renderer.render(score: score, style: Self.plainStyle(), instruments: RenderFixtures.library).mix
            return 20 * log10(RenderFixtures.rms(mix.left[0..<22050]))
        }
        let loud = try level(127), soft = try level(64)
        #expect(abs((loud - soft) - 7.73) < 1.0, "\(loud - soft) dB")
        let a = try level(95), b = try level(98)  // one bucket: 0.748 and 0.772 of full velocity
        #expect(abs((b - a) - 20 * 1.3 * log10(98.0 / 95)) < 0.01, "\(b - a) dB")
    }
}
