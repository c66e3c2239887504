import Foundation

/// The sung vocal of a song and its timestamped lyrics.
public struct VocalRender: Sendable {
    /// The `vocals` stem (after the vocal chain, before mastering).
    public var stem: StereoBuffer
    /// One entry per lyric line with its words (ms); a tag entry ("[Verse 1]") before each sung section, with
    /// start == end == the section's first sung word (contract §3). Indices run 0, 1, 2... in this order.
    public var lyrics: [Manifest.LyricLine]
    /// Seconds of sung audio (the lines' lengths, summed) and wall seconds spent singing them (speech + PSOLA,
    /// summed over threads), for benchmarks.
    public var sungSeconds: Double = 0
    public var singingSeconds: Double = 0
}

/// Renders `score.vocal` over the `vocals` track: each line spoken by flite at the line's median note frequency
/// (the fewest semitones to shift), sung by `Singer`, placed in time, doubled when it is a chorus line, and put
/// through `VocalChain`. Lines render independently (in parallel).
public enum VocalRenderer {
    /// - Parameters:
    ///   - speech: the speech engine; nil uses `Speech.shared`.
    ///   - frames: length of the stem (pass the instrumental's frame count); nil: the score's length plus 3 s.
    public static func render(score: Score, speech: Speech?, sampleRate: Int, frames: Int? = nil) -> VocalRender {
        let total = frames ?? Int((score.durationSeconds + 3) * Double(sampleRate))
        let chain = VocalChain(sampleRate: sampleRate)
        guard let vocal = score.vocal, let track = score.track(.vocals), !vocal.lines.isEmpty else {
            return VocalRender(stem: StereoBuffer(frames: total, sampleRate: sampleRate), lyrics: [])
        }
        let speech = speech ?? Speech.shared
        let spb = score.secondsPerBeat
        let notes = track.notes

        // Each line, rendered on its own (flite runs one at a time inside Speech; PSOLA in parallel).
        let jobs = vocal.lines
        let results = ConcurrentResults<Rendered>(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            results.set(i, renderLine(jobs[i], index: i, vocal: vocal, notes: notes, spb: spb, speech: speech,
                                      chain: chain))
        }
        let rendered = results.values

        // Timestamped lyrics, in sung order.
        var entries: [Manifest.LyricLine] = []
        var lastSection = -1
        let ordered = rendered.compactMap { $0 }.sorted { $0.start < $1.start }
        for r in ordered where !r.words.isEmpty {
            let ms = { (t: Double) in Int((t * 1000).rounded()) }
            if r.line.section != lastSection {
                lastSection = r.line.section
                let tag = vocal.lyrics.sections[r.line.section].tag
                let at = ms(r.words[0].start)
                entries.append(Manifest.LyricLine(index: entries.count, text: tag, start: at, end: at, words: []))
            }
            let words = r.words.map { Manifest.Word(text: $0.text, start: ms($0.start), end: ms($0.end)) }
            entries.append(Manifest.LyricLine(index: entries.count, text: r.text, start: words.first!.start,
                                              end: words.last!.end, words: words))
        }
        let placed = ordered.map { VocalChain.Placed(main: $0.main, double: $0.double, seed: $0.seed) }
        let stem = chain.mix(placed, frames: total)
        return VocalRender(stem: stem, lyrics: entries,
                           sungSeconds: ordered.reduce(0) { $0 + Double($1.main.samples.count) / Double(sampleRate) },
                           singingSeconds: ordered.reduce(0) { $0 + $1.seconds })
    }

    struct Rendered: Sendable {
        var line: SungLine
        var text: String
        var main: Singer.Phrase
        var double: Singer.Phrase?
        var words: [Singer.Word]
        var start: Double
        var seed: UInt64
        var seconds: Double
    }

    static func renderLine(_ line: SungLine, index: Int, vocal: VocalScore, notes: [Note], spb: Double,
                           speech: Speech, chain: VocalChain) -> Rendered? {
        guard vocal.lyrics.sections.indices.contains(line.section),
              vocal.lyrics.sections[line.section].lines.indices.contains(line.line) else { return nil }
        let clock = ContinuousClock.now
        let section = vocal.lyrics.sections[line.section]
        let text = section.lines[line.line]
        let sylNotes: [[Singer.Note]] = line.syllables.map { syl in
            syl.notes.filter { notes.indices.contains($0) }.map {
                let n = notes[$0]
                return Singer.Note(start: n.start * spb, end: (n.start + n.duration) * spb, pitch: Double(n.pitch))
            }
        }
        let pitches = sylNotes.flatMap { $0.map(\.pitch) }.sorted()
        guard !pitches.isEmpty else { return nil }
        let median = pitches[pitches.count / 2]
        // Speech clamps its pitch to 50...500 Hz; clamp here too so the Singer's source period is the spoken one.
        let f0 = min(500, max(50, 440 * pow(2, (median - 69) / 12)))
        let utterance = speech.speak(line: text, voice: vocal.base, f0: f0)
        let seed = UInt64(truncatingIfNeeded: index &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(line.section << 20 | line.line)
        var main = Singer.sing(utterance, notes: sylNotes, sampleRate: chain.sampleRate, style: Singer.Style(seed: seed))
        guard !main.samples.isEmpty else { return nil }
        chain.equalise(&main.samples)
        var double: Singer.Phrase? = nil
        if section.kind == "chorus" {
            var d = Singer.sing(utterance, notes: sylNotes, sampleRate: chain.sampleRate,
                                style: Singer.Style(seed: seed ^ 0xD0B1_ED00))
            chain.equalise(&d.samples)
            double = d
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Rendered(line: line, text: text, main: main, double: double, words: main.words, start: main.start,
                        seed: seed, seconds: seconds)
    }
}

/// Results written by index from concurrent iterations.
private final class ConcurrentResults<T: Sendable>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T?) { lock.lock(); storage[i] = value; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return storage }
}
