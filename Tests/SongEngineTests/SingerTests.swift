import Foundation
import Testing
@testable import SongEngine

/// The sung vocal, measured: a hand-made two-line VocalScore (a verse line, then a chorus line with a melisma,
/// 4 s apart) rendered through flite, the Singer and the vocal chain; pitch in the middle of every note by
/// autocorrelation, word times against the notes, silence between the phrases, the lyric entries' shape.
@Suite struct SingerTests {
    static let bpm = 90.0
    static var spb: Double { 60 / bpm }

    /// Line texts, their notes (beats, MIDI pitch) per syllable, and where each line starts.
    struct Fixture {
        var score: Score
        /// Per line, per syllable, the notes (seconds).
        var notes: [[[Singer.Note]]]
        var pronounced: [PronouncedLine]
    }

    static func fixture() -> Fixture {
        let lines = ["Gold on the water", "Carry me home tonight"]
        let pronounced = lines.map { Speech.shared.pronounce(line: $0) }
        // A-minor melodies in the female range; each syllable one beat, the last two; the chorus line's last
        // syllable a two-note melisma.
        let melodies: [[Int]] = [[64, 67, 69, 72, 71, 69, 67], [69, 71, 72, 74, 72, 71, 69, 67]]
        let starts = [2.0, 2.0 + 8.0 + 6.0]  // beats: 8 beats of line 1 at most, then a 6-beat (4 s) rest
        var trackNotes: [Note] = []
        var sung: [SungLine] = []
        var secs: [[[Singer.Note]]] = []
        for (l, line) in pronounced.enumerated() {
            var beat = starts[l]
            var syllables: [SungSyllable] = []
            var lineSecs: [[Singer.Note]] = []
            let count = line.syllableCount
            for s in 0..<count {
                let last = s == count - 1
                var idx: [Int] = []
                var sylSecs: [Singer.Note] = []
                let pitches = last && l == 1 ? [melodies[l][s % melodies[l].count], melodies[l][(s + 1) % melodies[l].count]]
                    : [melodies[l][s % melodies[l].count]]
                for (k, p) in pitches.enumerated() {
                    let dur = last ? (pitches.count == 2 ? (k == 0 ? 1.0 : 1.5) : 2.0) : 1.0
                    idx.append(trackNotes.count)
                    trackNotes.append(Note(start: beat, duration: dur * 0.95, pitch: p, velocity: 90))
                    sylSecs.append(Singer.Note(start: beat * spb, end: (beat + dur * 0.95) * spb, pitch: Double(p)))
                    beat += dur
                }
                syllables.append(SungSyllable(notes: idx))
                lineSecs.append(sylSecs)
            }
            sung.append(SungLine(section: l, line: 0, syllables: syllables))
            secs.append(lineSecs)
        }
        let lyrics = Lyrics(sections: [LyricSection(kind: "verse", tag: "[Verse 1]", lines: [lines[0]]),
                                       LyricSection(kind: "chorus", tag: "[Chorus]", lines: [lines[1]])])
        let vocal = VocalScore(lyrics: lyrics, base: .female, pronounced: pronounced.map { [$0] }, lines: sung,
                               sectionStartBeats: starts)
        var score = Score(bpm: bpm, key: Key(tonic: 9, mode: .minor), beatsPerBar: 4,
                          sections: [SectionSpan(name: "verse", startBeat: 0, beats: 16, energy: 0.5),
                                     SectionSpan(name: "chorus", startBeat: 16, beats: 16, energy: 0.8)],
                          tracks: [Track(name: "vocals", role: .vocals, instrument: "vocal", channel: 4, program: 52,
                                         notes: trackNotes)],
                          lengthBeats: 32)
        score.vocal = vocal
        return Fixture(score: score, notes: secs, pronounced: pronounced)
    }

    /// f0 of x[start ..< start+length] by normalised autocorrelation, searched within 8 semitones of `guess`,
    /// refined by a parabola; nil when the frame is not periodic (peak below 0.5).
    static func pitch(_ x: [Float], start: Int, length: Int, sampleRate: Double, guess: Double) -> Double? {
        let lo = Int(sampleRate / (guess * pow(2, 8.0 / 12))), hi = Int(sampleRate / (guess / pow(2, 8.0 / 12))) + 1
        guard start >= 0, start + length + hi + 1 < x.count else { return nil }
        return x.withUnsafeBufferPointer { p -> Double? in
            var r = [Double](repeating: 0, count: hi + 2)
            var e0 = 0.0
            for i in 0..<length { e0 += Double(p[start + i] * p[start + i]) }
            guard e0 > 0 else { return nil }
            for lag in (lo - 1)...(hi + 1) {
                var acc = 0.0, e1 = 0.0
                for i in 0..<length {
                    let a = Double(p[start + i]), b = Double(p[start + i + lag])
                    acc += a * b
                    e1 += b * b
                }
                r[lag] = acc / max(1e-12, (e0 * e1).squareRoot())
            }
            var best = lo
            for lag in lo...hi where r[lag] > r[best] { best = lag }
            guard r[best] > 0.5 else { return nil }
            let a = r[best - 1], b = r[best], c = r[best + 1]
            let d = a - 2 * b + c
            let shift = d < 0 ? 0.5 * (a - c) / d : 0
            return sampleRate / (Double(best) + shift)
        }
    }

    @Test func rendersTwoLinesOnPitchWithWordTimesAndSilence() throws {
        let f = Self.fixture()
        let sr = 44_100
        let clock = ContinuousClock.now
        let render = try VocalRenderer.render(score: f.score, speech: nil, sampleRate: sr)
        let wall = ContinuousClock.now - clock
        let stem = render.stem
        #expect(stem.frames == Int((f.score.durationSeconds + 3) * Double(sr)))
        let mono = zip(stem.left, stem.right).map { 0.5 * ($0 + $1) }
        // For listening and spectrograms: raw mono float32 at 44.1 kHz.
        if let path = ProcessInfo.processInfo.environment["CHROMASONG_SINGER_DUMP"] {
            try mono.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: path)) }
        }

        // Pitch over the middle of each note: skip the first 80 ms and the last 40 ms; 30 ms frames every 10 ms.
        var noteErrors: [Double] = [], frameErrors: [Double] = []
        for line in f.notes {
            for note in line.flatMap({ $0 }) {
                let hz = 440 * pow(2, (note.pitch - 69) / 12)
                let a = Int((note.start + 0.08) * Double(sr)), b = Int((note.end - 0.04) * Double(sr))
                let length = Int(0.03 * Double(sr))
                var cents: [Double] = []
                var s = a
                while s + length <= b {
                    if let p = Self.pitch(mono, start: s, length: length, sampleRate: Double(sr), guess: hz) {
                        cents.append(1200 * log2(p / hz))
                    }
                    s += Int(0.01 * Double(sr))
                }
                guard !cents.isEmpty else { noteErrors.append(1200); continue }
                frameErrors += cents.map(abs)
                noteErrors.append(abs(cents.sorted()[cents.count / 2]))
            }
        }
        let sortedNotes = noteErrors.sorted()
        let median = sortedNotes[sortedNotes.count / 2]
        let within50 = Double(noteErrors.filter { $0 <= 50 }.count) / Double(noteErrors.count)
        let frameMedian = frameErrors.sorted()[frameErrors.count / 2]
        let frameWithin50 = Double(frameErrors.filter { $0 <= 50 }.count) / Double(max(1, frameErrors.count))
        print("singer: \(noteErrors.count) notes, per-note median |error| \(String(format: "%.1f", median)) cents, "
              + "\(String(format: "%.0f", 100 * within50))% within 50 cents (frames: median "
              + "\(String(format: "%.1f", frameMedian)), \(String(format: "%.0f", 100 * frameWithin50))% within 50); "
              + "worst note \(String(format: "%.1f", sortedNotes.last!)) cents")
        print("singer: \(String(format: "%.2f", render.sungSeconds)) s sung in \(String(format: "%.2f", render.singingSeconds)) "
              + "CPU s (\(String(format: "%.1f", render.sungSeconds / render.singingSeconds))x real time, debug build); "
              + "whole render \(wall)")
        #expect(median <= 15)
        #expect(within50 >= 0.9)

        // Timestamps: a tag and a line per section; words ordered and inside their notes' spans (+-150 ms).
        let entries = render.lyrics
        #expect(entries.map(\.text) == ["[Verse 1]", "Gold on the water", "[Chorus]", "Carry me home tonight"])
        #expect(entries.map(\.index) == [0, 1, 2, 3])
        for (t, l) in [(0, 1), (2, 3)] {
            #expect(entries[t].start == entries[t].end && entries[t].start == entries[l].words.first?.start)
            #expect(entries[t].words.isEmpty)
        }
        for (k, lineEntry) in [entries[1], entries[3]].enumerated() {
            let words = lineEntry.words
            #expect(words.map(\.text) == f.pronounced[k].words.map(\.text))
            var syllable = 0
            var previousEnd = Int.min
            for (w, word) in words.enumerated() {
                let count = f.pronounced[k].words[w].syllables.count
                let first = f.notes[k][syllable].first!, last = f.notes[k][syllable + count - 1].last!
                syllable += count
                #expect(word.start < word.end)
                #expect(word.start >= previousEnd)
                previousEnd = word.end
                #expect(Double(word.start) >= (first.start - 0.15) * 1000, "\(word.text) starts \(word.start) ms")
                #expect(Double(word.end) <= (last.end + 0.15) * 1000, "\(word.text) ends \(word.end) ms")
                #expect(Double(word.end) >= first.start * 1000)
            }
            #expect(lineEntry.start == words.first!.start && lineEntry.end == words.last!.end)
        }

        // Loud while singing, silent (below -60 dBFS) in the rest between the phrases, after the first phrase's
        // reverb has died (1.5 s) and before the breath (0.6 s ahead of the next phrase).
        let line1End = f.notes[0].last!.last!.end, line2Start = f.notes[1].first!.first!.start
        let quiet = Int((line1End + 1.5) * Double(sr))..<Int((line2Start - 0.6) * Double(sr))
        #expect(quiet.count > sr)
        let quietPeak = quiet.map { max(abs(stem.left[$0]), abs(stem.right[$0])) }.max()!
        let sungRange = Int(f.notes[0][0][0].start * Double(sr))..<Int(line1End * Double(sr))
        let sungRMS = (sungRange.reduce(0.0) { $0 + Double(mono[$1] * mono[$1]) } / Double(sungRange.count)).squareRoot()
        print("singer: rest peak \(String(format: "%.1f", 20 * log10(Double(quietPeak) + 1e-12))) dBFS, "
              + "sung RMS \(String(format: "%.1f", 20 * log10(sungRMS))) dBFS")
        #expect(20 * log10(Double(quietPeak) + 1e-12) < -60)
        #expect(20 * log10(sungRMS) > -30)
        // Before the first phrase (minus its breath) and after the last one's tail: silence too.
        #expect(stem.left[0..<Int((f.notes[0][0][0].start - 0.7) * Double(sr))].allSatisfy { $0 == 0 })
    }

    @Test func deterministic() throws {
        let f = Self.fixture()
        let a = try VocalRenderer.render(score: f.score, speech: nil, sampleRate: 44_100)
        let b = try VocalRenderer.render(score: f.score, speech: nil, sampleRate: 44_100)
        #expect(a.stem.left == b.stem.left && a.stem.right == b.stem.right)
        #expect(a.lyrics == b.lyrics)
    }

    /// The Singer alone: vowels start on their notes; consonants keep their spoken length.
    @Test func vowelsStartOnTheNote() throws {
        let speech = Speech.shared
        let u = speech.speak(line: "Sing me home", speaker: .rms, f0: 130)
        let count = u.line.syllableCount
        #expect(count == 3)
        let notes = (0..<count).map { [Singer.Note(start: 1.0 + Double($0) * 0.8, end: 1.7 + Double($0) * 0.8, pitch: 50)] }
        let phrase = try Singer.sing(u, notes: notes, style: Singer.Style(seed: 3))
        // "Sing": the onset /s/ keeps its spoken duration and ends on the note.
        let s = u.phones.first { $0.syllable == 0 }!
        #expect(!s.isVowel)
        #expect(abs(phrase.words[0].start - (1.0 - (s.end - s.start))) < 0.002)
        // The sung phrase lasts from the first onset to the last note's end plus the tail.
        let duration = Double(phrase.samples.count) / Double(phrase.sampleRate)
        #expect(abs(phrase.start + duration - (notes.last![0].end + Singer.tail)) < 0.01)
        #expect(phrase.words.map(\.text) == ["Sing", "me", "home"])
    }

    /// CDSP's vocoder against flite's MLSA vocoder on the same sung line (the male voice, rms: no formant shift):
    /// the long-term spectrum in third-octave bands from 150 Hz to 5 kHz agrees within 2 dB, the overall level
    /// within 1 dB, and the pitch is the notes'.
    @Test func vocoderSoundsLikeFlites() throws {
        let u = Speech.shared.speak(line: "Carry me over the water", speaker: .rms, f0: 130)
        let count = u.line.syllableCount
        let notes = (0..<count).map { [Singer.Note(start: 0.5 + Double($0) * 0.5, end: 0.95 + Double($0) * 0.5,
                                                   pitch: 50)] }
        var own = Singer.Style(seed: 4), flite = Singer.Style(seed: 4)
        own.synthesis = .vocoder
        flite.synthesis = .mlsa
        let a = try Singer.sing(u, notes: notes, style: own), b = try Singer.sing(u, notes: notes, style: flite)
        #expect(a.samples.count > 44_100 && abs(a.samples.count - b.samples.count) < 50)
        func bands(_ x: [Float]) -> [Double] {
            // Power spectrum averaged over 4096-point Hann frames, summed in third-octave bands.
            let n = 4096
            var power = [Double](repeating: 0, count: n / 2)
            var start = 0
            let window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n)) }
            let binHz = 44_100 / Double(n)
            while start + n <= x.count {
                let frame = (0..<n).map { Double(x[start + $0]) * window[$0] }
                for k in Int(130 / binHz)..<Int(5700 / binHz) {
                    // Goertzel: |X(k)|^2 without a table of sines.
                    let coeff = 2 * cos(2 * Double.pi * Double(k) / Double(n))
                    var s1 = 0.0, s2 = 0.0
                    for v in frame {
                        let s0 = v + coeff * s1 - s2
                        s2 = s1
                        s1 = s0
                    }
                    power[k] += s1 * s1 + s2 * s2 - coeff * s1 * s2
                }
                start += n
            }
            var out: [Double] = []
            var lo = 150.0
            while lo * pow(2, 1.0 / 3) <= 5000 {
                let hi = lo * pow(2, 1.0 / 3)
                var e = 1e-30
                for k in 0..<(n / 2) where Double(k) * 44_100 / Double(n) >= lo && Double(k) * 44_100 / Double(n) < hi {
                    e += power[k]
                }
                out.append(10 * log10(e))
                lo = hi
            }
            return out
        }
        let la = bands(a.samples), lb = bands(b.samples)
        let diffs = zip(la, lb).map { $0 - $1 }
        print("vocoder against flite's MLSA, third-octave bands 150 Hz - 5 kHz (dB): "
              + diffs.map { String(format: "%.1f", $0) }.joined(separator: " "))
        #expect(diffs.allSatisfy { abs($0) < 2 })
        func rms(_ x: [Float]) -> Double {
            (x.reduce(0.0) { $0 + Double($1 * $1) } / Double(max(1, x.count))).squareRoot()
        }
        #expect(abs(20 * log10(rms(a.samples) / rms(b.samples))) < 1)
        let mid = Int((notes[1][0].start + 0.2 - a.start) * 44_100)
        let f = Self.pitch(a.samples, start: mid, length: 2048, sampleRate: 44_100, guess: 146.8)
        #expect(f.map { abs(1200 * log2($0 / 146.83)) < 10 } == true)
    }
}
