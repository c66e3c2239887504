import Foundation
import Synchronization
internal import CDSP

/// The sung vocal of a song and its timestamped lyrics.
public struct VocalRender: Sendable {
    /// The `vocals` stem (after the vocal chain, before mastering); empty when it was written to disk instead
    /// (`spilled`).
    public var stem: StereoBuffer
    /// The stem on disk, when `VocalRenderer.render` was given a file for it.
    var spilled: SpilledBuffer?
    /// One entry per lyric line with its words (ms); a tag entry ("[Verse 1]") before each sung section, with
    /// start == end == the section's first sung word (contract §3). Indices run 0, 1, 2... in this order.
    public var lyrics: [Manifest.LyricLine]
    /// Seconds of sung audio (the lines' lengths, summed) and wall seconds spent singing them (speech + PSOLA,
    /// summed over threads), for benchmarks.
    public var sungSeconds: Double = 0
    public var singingSeconds: Double = 0
    /// Work per vocal stage, in seconds summed over threads: "synthesis" (flite speaking the lines), "retune"
    /// (retiming and PSOLA), "chain" (EQ, compression, doubles, reverb), in that order.
    public var stageSeconds: [(String, Double)] = []

    /// The sung lines' spans in seconds, [start, end) (the section tags left out): where the vocal is balanced
    /// against the accompaniment.
    var sungSpans: [VocalMix.Span] {
        lyrics.filter { !$0.words.isEmpty }.map { (start: Double($0.start) / 1000, end: Double($0.end) / 1000) }
    }
}

/// Renders `score.vocal` over the `vocals` track: each line spoken by flite at the line's median note frequency
/// (the fewest semitones to shift), sung by `Singer`, placed in time, doubled when it is a chorus line, and put
/// through `VocalChain`. Lines render independently (in parallel).
public enum VocalRenderer {
    /// - Parameters:
    ///   - score: the composed song; its vocal part (notes, syllables, lines) is what is sung.
    ///   - speech: the speech engine; nil uses `Speech.shared`.
    ///   - sampleRate: the stem's sample rate, in Hz.
    ///   - frames: length of the stem (pass the instrumental's frame count); nil: the score's length plus 3 s.
    public static func render(score: Score, speech: Speech?, sampleRate: Int, frames: Int? = nil) throws -> VocalRender {
        try render(score: score, speech: speech, sampleRate: sampleRate, frames: frames, stemFile: nil)
    }

    /// `stemFile`: write the stem there as the vocal chain makes it, a few seconds at a time, instead of into
    /// memory (`VocalRender.spilled`; issue 14). The file is the caller's to remove (a render's staging folder).
    static func render(score: Score, speech: Speech?, sampleRate: Int, frames: Int? = nil, stemFile: URL?) throws
        -> VocalRender
    {
        let total = frames ?? Int((score.durationSeconds + 3) * Double(sampleRate))
        let chain = VocalChain(sampleRate: sampleRate)
        guard let vocal = score.vocal, let track = score.track(.vocals), !vocal.lines.isEmpty else {
            let silence = StereoBuffer(frames: total, sampleRate: sampleRate)
            if let stemFile {
                return VocalRender(stem: StereoBuffer(frames: 0, sampleRate: sampleRate),
                                   spilled: try SpilledBuffer.park(silence, at: stemFile), lyrics: [])
            }
            return VocalRender(stem: silence, lyrics: [])
        }
        let speech = speech ?? Speech.shared
        let spb = score.secondsPerBeat
        let notes = track.notes

        // Speak every distinct line once (a repeated chorus line at the same pitch is the same utterance); flite
        // runs one call at a time inside Speech. Each spoken line is then sung for every line that uses it; the
        // spoken lines go in parallel.
        let jobs = vocal.lines.enumerated().compactMap { i, line in prepare(line, index: i, vocal: vocal, notes: notes, spb: spb) }
        var keyIndex: [String: Int] = [:]
        var spoken: [Job] = []
        for job in jobs where keyIndex[job.speechKey] == nil {
            keyIndex[job.speechKey] = spoken.count
            spoken.append(job)
        }
        let toSpeak = spoken
        // The jobs each spoken line serves; each line is spoken, then sung by all of them, then let go, so only the
        // lines in flight are in memory (a 10-minute song speaks about 13 MB of vocoder frames a version).
        var served = [[Int]](repeating: [], count: spoken.count)
        for (j, job) in jobs.enumerated() { served[keyIndex[job.speechKey]!].append(j) }
        let serves = served
        let speechTime = ConcurrentResults<Double>(count: spoken.count)
        // With a stem file, each take goes to disk beside it as soon as it is sung, so the song's lines are never
        // all in memory at once (a 10-minute song sings about 100 MB of them per version).
        let takes = try stemFile.map { try TakeFile(at: $0.deletingLastPathComponent().appendingPathComponent(".takes.f32")) }
        let results = ConcurrentResults<Rendered>(count: jobs.count)
        let failures = ConcurrentResults<any Error>(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: spoken.count) { i in
            let t0 = ContinuousClock.now
            // Brought to the output rate once per spoken line: the singer then retimes and retunes at the output
            // rate, and the sung (longer, sometimes doubled) lines need no resampling.
            // The vocoder path sings from the frames alone: no spoken waveform, nothing to upsample.
            let spokenLine = speech.speak(line: toSpeak[i].text, speaker: vocal.speaker, f0: toSpeak[i].f0,
                                          formantSemitones: vocal.formantSemitones, waveform: synthesis == .psola)
            let utterance = spokenLine.vocoder != nil && synthesis != .psola
                ? spokenLine : upsampled(spokenLine, to: sampleRate)
            speechTime.set(i, seconds(since: t0))
            for j in serves[i] {
                do {
                    guard var sung = try sing(jobs[j], utterance: utterance, chain: chain) else { continue }
                    if let takes {
                        sung.mainTake = try takes.park(sung.main.samples)
                        sung.main.samples = []
                        if let double = sung.double {
                            sung.doubleTake = try takes.park(double.samples)
                            sung.double!.samples = []
                        }
                    }
                    results.set(j, sung)
                } catch { failures.set(j, error) }
            }
        }
        if let failure = failures.values.compactMap({ $0 }).first { throw failure }
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
        let placed = ordered.map {
            VocalChain.Placed(main: $0.main, double: $0.double, seed: $0.seed, mainTake: $0.mainTake,
                              doubleTake: $0.doubleTake)
        }
        let chainStart = ContinuousClock.now
        var stem = StereoBuffer(frames: 0, sampleRate: sampleRate)
        var spilled: SpilledBuffer?
        if let stemFile {
            let writer = try SpillWriter(at: stemFile, frames: total, sampleRate: sampleRate)
            try chain.mix(placed, frames: total) { piece, start in try writer.write(piece, at: start) }
            spilled = try writer.finish()
        } else {
            stem = try chain.mix(placed, frames: total)
        }
        let chainSeconds = seconds(since: chainStart) + ordered.reduce(0) { $0 + $1.chainSeconds }
        let speechSeconds = speechTime.values.reduce(0) { $0 + ($1 ?? 0) }
        let retuneSeconds = ordered.reduce(0) { $0 + $1.seconds }
        return VocalRender(stem: stem, spilled: spilled, lyrics: entries,
                           sungSeconds: ordered.reduce(0) {
                               $0 + Double($1.mainTake?.count ?? $1.main.samples.count) / Double(sampleRate)
                           },
                           singingSeconds: speechSeconds + retuneSeconds,
                           stageSeconds: [("synthesis", speechSeconds), ("retune", retuneSeconds), ("chain", chainSeconds)])
    }

    /// The utterance at `rate` (times stay in seconds), by `Singer.resampledFast`.
    static func upsampled(_ u: SpeechUtterance, to rate: Int) -> SpeechUtterance {
        guard u.sampleRate != rate, !u.samples.isEmpty,
              let samples = Singer.resampledFast(u.samples, ratio: Double(rate) / Double(u.sampleRate))
        else { return u }
        var v = u
        v.samples = samples
        v.sampleRate = rate
        return v
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// A line ready to speak and sing: its text, its syllables' notes in seconds, the pitch to speak it at.
    struct Job: Sendable {
        var line: SungLine
        var index: Int
        var text: String
        var kind: String
        var notes: [[Singer.Note]]
        var f0: Double
        var speechKey: String { "\(text)\u{1F}\(f0)" }
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
        var chainSeconds: Double
        /// The takes, when parked on disk (`TakeFile`).
        var mainTake: TakeFile.Take? = nil
        var doubleTake: TakeFile.Take? = nil
    }

    static func prepare(_ line: SungLine, index: Int, vocal: VocalScore, notes: [Note], spb: Double) -> Job? {
        guard vocal.lyrics.sections.indices.contains(line.section),
              vocal.lyrics.sections[line.section].lines.indices.contains(line.line) else { return nil }
        let section = vocal.lyrics.sections[line.section]
        let sylNotes: [[Singer.Note]] = line.syllables.map { syl in
            syl.notes.filter { notes.indices.contains($0) }.map {
                let n = notes[$0]
                return Singer.Note(start: n.start * spb, end: (n.start + n.duration) * spb, pitch: Double(n.pitch))
            }
        }
        let pitches = sylNotes.flatMap { $0.map(\.pitch) }.sorted()
        guard !pitches.isEmpty else { return nil }
        // Spoken at the line's median note, rounded to a 3-semitone grid: the retune moves at most 1.5 semitones
        // more, and the versions of a song (same lyrics, different tunes) often speak a line at the same pitch,
        // which Speech then synthesises once.
        let median = (pitches[pitches.count / 2] / 3).rounded() * 3
        // Speech clamps its pitch to 50...500 Hz; clamp here too so the Singer's source period is the spoken one.
        let f0 = min(500, max(50, 440 * pow(2, (median - 69) / 12)))
        return Job(line: line, index: index, text: section.lines[line.line], kind: section.kind, notes: sylNotes, f0: f0)
    }

    /// How lines are sung: `Singer.Synthesis.vocoder` unless the environment's `CHROMASONG_SINGER` names another
    /// (`mlsa`, `psola`): a switch for comparing them on the lyric sets (Benchmarks/sing_check.py), not a
    /// parameter of the contract.
    static let synthesis: Singer.Synthesis = {
        ProcessInfo.processInfo.environment["CHROMASONG_SINGER"].flatMap(Singer.Synthesis.init(rawValue:)) ?? .vocoder
    }()

    static func sing(_ job: Job, utterance: SpeechUtterance, chain: VocalChain) throws -> Rendered? {
        let clock = ContinuousClock.now
        let seed = UInt64(truncatingIfNeeded: job.index &+ 1) &* 0x9E37_79B9_7F4A_7C15
            ^ UInt64(job.line.section << 20 | job.line.line)
        var style = Singer.Style(seed: seed)
        style.synthesis = synthesis
        var main = try Singer.sing(utterance, notes: job.notes, sampleRate: chain.sampleRate, style: style)
        guard !main.samples.isEmpty else { return nil }
        var double: Singer.Phrase? = nil
        if job.kind == "chorus" {
            style.seed = seed ^ 0xD0B1_ED00
            double = try Singer.sing(utterance, notes: job.notes, sampleRate: chain.sampleRate, style: style)
        }
        let sung = seconds(since: clock)
        let chainStart = ContinuousClock.now
        try chain.equalise(&main.samples)
        if double != nil { try chain.equalise(&double!.samples) }
        return Rendered(line: job.line, text: job.text, main: main, double: double, words: main.words, start: main.start,
                        seed: seed, seconds: sung, chainSeconds: seconds(since: chainStart))
    }
}

/// Results written by index from concurrent iterations.
private final class ConcurrentResults<T: Sendable>: Sendable {
    private let storage: Mutex<[T?]>
    init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ value: T?) { storage.withLock { $0[i] = value } }
    var values: [T?] { storage.withLock { $0 } }
}
