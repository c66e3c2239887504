import Testing
@testable import SongEngine

/// A small Standard MIDI File reader, enough to check what MIDIFile writes.
struct ParsedMIDI {
    struct ParsedTrack {
        var name = ""
        var program: Int?
        var notes: [(tick: Int, length: Int, pitch: Int, velocity: Int, channel: Int)] = []
        var tempo: Int?
        var timeSignature: [UInt8]?
        var keySignature: [UInt8]?
        var endTick = 0
    }

    var format = 0
    var division = 0
    var tracks: [ParsedTrack] = []
    var unmatchedNoteOffs = 0
    var danglingNoteOns = 0

    init?(_ bytes: [UInt8]) {
        var i = 0
        func u32() -> Int { defer { i += 4 }; return bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        func u16() -> Int { defer { i += 2 }; return Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func vlq() -> Int {
            var v = 0
            while true {
                let b = bytes[i]; i += 1
                v = v << 7 | Int(b & 0x7F)
                if b & 0x80 == 0 { return v }
            }
        }
        guard bytes.count >= 14, Array(bytes[0..<4]) == Array("MThd".utf8) else { return nil }
        i = 4
        guard u32() == 6 else { return nil }
        format = u16()
        let count = u16()
        division = u16()
        for _ in 0..<count {
            guard Array(bytes[i..<i + 4]) == Array("MTrk".utf8) else { return nil }
            i += 4
            let end = u32() + i
            var track = ParsedTrack()
            var tick = 0
            var open: [Int: (Int, Int)] = [:]  // pitch -> (tick, velocity)
            var ended = false
            while i < end {
                tick += vlq()
                let status = bytes[i]; i += 1
                if status == 0xFF {
                    let type = bytes[i]; i += 1
                    let len = vlq()
                    let data = Array(bytes[i..<i + len]); i += len
                    switch type {
                    case 0x03: track.name = String(decoding: data, as: UTF8.self)
                    case 0x51: track.tempo = data.reduce(0) { $0 << 8 | Int($1) }
                    case 0x58: track.timeSignature = data
                    case 0x59: track.keySignature = data
                    case 0x2F: ended = true; track.endTick = tick
                    default: break
                    }
                } else {
                    let kind = status & 0xF0, ch = Int(status & 0x0F)
                    switch kind {
                    case 0xC0: track.program = Int(bytes[i]); i += 1
                    case 0x90, 0x80:
                        let p = Int(bytes[i]), v = Int(bytes[i + 1]); i += 2
                        if kind == 0x90 && v > 0 {
                            if open[p] != nil { danglingNoteOns += 1 }
                            open[p] = (tick, v)
                        } else if let (t0, v0) = open.removeValue(forKey: p) {
                            track.notes.append((t0, tick - t0, p, v0, ch))
                        } else { unmatchedNoteOffs += 1 }
                    default: return nil
                    }
                }
            }
            danglingNoteOns += open.count
            guard ended, i == end else { return nil }
            tracks.append(track)
        }
    }
}

@Suite struct MIDIFileTests {
    typealias F = CompositionFixtures

    @Test func roundTripKeepsTracksNamesNotesAndTempo() throws {
        let key = Key(tonic: 6, mode: .minor)
        let score = Composer.compose(plan: F.plan(key: key, bpm: 97), style: F.style(), seed: 12)
        let bytes = MIDIFile.encode(score, title: "Gold on the water")
        let midi = try #require(ParsedMIDI(bytes))
        #expect(midi.format == 1 && midi.division == 480)
        #expect(midi.tracks.count == score.tracks.count + 1)
        #expect(midi.tracks[0].name == "Gold on the water")
        #expect(midi.tracks[0].tempo == Int((60_000_000 / 97.0).rounded()))
        #expect(midi.tracks[0].timeSignature == [4, 2, 24, 8])
        #expect(midi.tracks[0].keySignature == [3, 1], "F# minor: three sharps, minor")
        #expect(midi.tracks.dropFirst().map(\.name) == score.tracks.map(\.name))
        #expect(midi.tracks.dropFirst().map { $0.program ?? -1 } == score.tracks.map(\.program))
        #expect(midi.unmatchedNoteOffs == 0 && midi.danglingNoteOns == 0)
        for (parsed, track) in zip(midi.tracks.dropFirst(), score.tracks) {
            #expect(parsed.notes.count == track.notes.count, "\(track.name)")
            #expect(parsed.notes.allSatisfy { $0.channel == track.channel })
            let firstTick = parsed.notes.map(\.tick).min() ?? 0
            #expect(firstTick == Int(((track.notes.first?.start ?? 0) * 480).rounded()))
            #expect(parsed.endTick >= Int(score.lengthBeats * 480) - 1)
        }
        // Note timing survives to the tick.
        let lead = score.track(.lead)!.notes
        let parsedLead = midi.tracks.first { $0.name == "lead" }!.notes.sorted { $0.tick < $1.tick }
        for (n, p) in zip(lead, parsedLead) {
            #expect(p.pitch == n.pitch && abs(p.tick - Int((n.start * 480).rounded())) <= 1)
        }
    }

    @Test func overlappingSamePitchNotesAreCut() throws {
        let track = Track(name: "chords", role: .chords, instrument: "piano", channel: 0, program: 0, notes: [
            Note(start: 0, duration: 2, pitch: 60, velocity: 90), Note(start: 1, duration: 2, pitch: 60, velocity: 80),
            Note(start: 1, duration: 1, pitch: 64, velocity: 70),
        ])
        let score = Score(bpm: 120, key: Key(tonic: 0, mode: .major), beatsPerBar: 4, sections: [], tracks: [track],
                          lengthBeats: 4)
        let midi = try #require(ParsedMIDI(MIDIFile.encode(score, title: "x")))
        let notes = midi.tracks[1].notes.sorted { ($0.tick, $0.pitch) < ($1.tick, $1.pitch) }
        #expect(midi.unmatchedNoteOffs == 0 && midi.danglingNoteOns == 0)
        #expect(notes.map(\.pitch) == [60, 60, 64])
        #expect(notes.map(\.length) == [480, 960, 480])
    }

    @Test func keySignaturesForAll24Keys() {
        let expected: [String: Int] = ["C major": 0, "G major": 1, "D major": 2, "A major": 3, "E major": 4,
                                       "B major": 5, "F# major": 6, "F major": -1, "Bb major": -2, "Eb major": -3,
                                       "Ab major": -4, "Db major": -5, "A minor": 0, "E minor": 1, "B minor": 2,
                                       "F# minor": 3, "C# minor": 4, "G# minor": 5, "D minor": -1, "G minor": -2,
                                       "C minor": -3, "F minor": -4, "Bb minor": -5, "Eb minor": -6]
        for key in Key.all { #expect(MIDIFile.keySignatureAccidentals(key) == expected[key.description], "\(key)") }
    }
}
