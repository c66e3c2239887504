/// Standard MIDI File writer: type 1, 480 ticks per quarter note. Track 0 is the conductor (title, tempo, 4/4,
/// key signature); then one track per part with its name and program change. Overlapping notes of the same pitch
/// on one track are cut so every note-on has its own note-off.
public enum MIDIFile {
    public static let ticksPerQuarter = 480

    public static func encode(_ score: Score, title: String) -> [UInt8] {
        var file: [UInt8] = Array("MThd".utf8) + be32(6) + be16(1) + be16(UInt16(1 + score.tracks.count))
            + be16(UInt16(ticksPerQuarter))
        var conductor: [(Int, [UInt8])] = []
        conductor.append((0, meta(0x03, Array(title.utf8))))
        let microsPerQuarter = UInt32((60_000_000 / max(1, score.bpm)).rounded())
        conductor.append((0, meta(0x51, [UInt8(microsPerQuarter >> 16 & 0xFF), UInt8(microsPerQuarter >> 8 & 0xFF),
                                         UInt8(microsPerQuarter & 0xFF)])))
        conductor.append((0, meta(0x58, [UInt8(score.beatsPerBar), 2, 24, 8])))
        conductor.append((0, meta(0x59, [UInt8(bitPattern: Int8(keySignatureAccidentals(score.key))),
                                         score.key.mode == .minor ? 1 : 0])))
        file += chunk(conductor, endTick: tick(score.lengthBeats))
        for track in score.tracks {
            let ch = UInt8(min(15, max(0, track.channel)))
            var events: [(Int, [UInt8])] = [(0, meta(0x03, Array(track.name.utf8))),
                                             (0, [0xC0 | ch, UInt8(min(127, max(0, track.program)))])]
            // Per pitch, cut a sounding note when the same pitch starts again.
            let sorted = track.notes.sorted { ($0.start, $0.pitch) < ($1.start, $1.pitch) }
            var spans: [(on: Int, off: Int, pitch: UInt8, velocity: UInt8)] = []
            var sounding: [Int: Int] = [:]  // pitch -> index in spans
            for n in sorted {
                let p = min(127, max(0, n.pitch))
                let on = tick(n.start)
                let off = max(on + 1, tick(n.start + n.duration))
                if let j = sounding[p], spans[j].off > on {
                    spans[j].off = on
                }
                spans.append((on, off, UInt8(p), UInt8(min(127, max(1, n.velocity)))))
                sounding[p] = spans.count - 1
            }
            var noteEvents: [(tick: Int, order: Int, bytes: [UInt8])] = []
            for s in spans where s.off > s.on {
                noteEvents.append((s.on, 1, [0x90 | ch, s.pitch, s.velocity]))
                noteEvents.append((s.off, 0, [0x80 | ch, s.pitch, 0]))
            }
            noteEvents.sort { ($0.tick, $0.order) < ($1.tick, $1.order) }
            events += noteEvents.map { ($0.tick, $0.bytes) }
            file += chunk(events, endTick: max(tick(score.lengthBeats), noteEvents.last?.tick ?? 0))
        }
        return file
    }

    /// Sharps (+) or flats (-) of the key's signature, spelled as `Key` names it.
    public static func keySignatureAccidentals(_ key: Key) -> Int {
        let major = key.mode == .major ? key.tonic : (key.tonic + 3) % 12
        // Circle of fifths for the major tonic spelled as Key spells it; Eb minor (Gb major) takes six flats.
        let table = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5]
        if key.mode == .minor && key.tonic == 3 { return -6 }
        return table[major]
    }

    static func tick(_ beats: Double) -> Int { max(0, Int((beats * Double(ticksPerQuarter)).rounded())) }

    static func meta(_ type: UInt8, _ data: [UInt8]) -> [UInt8] { [0xFF, type] + vlq(data.count) + data }

    static func chunk(_ events: [(Int, [UInt8])], endTick: Int) -> [UInt8] {
        var body: [UInt8] = []
        var last = 0
        for (t, bytes) in events {
            body += vlq(t - last) + bytes
            last = t
        }
        body += vlq(max(0, endTick - last)) + [0xFF, 0x2F, 0x00]
        return Array("MTrk".utf8) + be32(UInt32(body.count)) + body
    }

    static func vlq(_ value: Int) -> [UInt8] {
        var v = UInt32(max(0, value))
        var out: [UInt8] = [UInt8(v & 0x7F)]
        v >>= 7
        while v > 0 {
            out.insert(UInt8(v & 0x7F) | 0x80, at: 0)
            v >>= 7
        }
        return out
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
}
