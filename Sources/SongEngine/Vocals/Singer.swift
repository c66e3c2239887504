import Foundation
internal import CDSP
internal import DSP
internal import CSpeech

/// Sings one lyric line from the score: the line as flite analysed it at a flat pitch (a `SpeechUtterance` with
/// its clustergen vocoder frames) is played along its syllables' notes by CDSP's mel-cepstral vocoder
/// (`cdsp_vocoder.h`) at the output rate, the pitch taken from the notes' f0 curve (`cdsp_sing.h`). Two older ways
/// stay for comparison (`Synthesis`): flite's own vocoder on the stretched frames, and TD-PSOLA on the spoken
/// waveform; both work at flite's 16 kHz and are resampled.
///
/// Timing follows UTAU and Festival's singing mode: consonants keep their spoken length (squeezed only when two
/// notes leave no room), each syllable's onset consonants end where its first note starts, so the vowel starts
/// on the note; the vowel is stretched (or shortened) to hold the note or notes; the coda consonants close the
/// last note, or end where the next syllable's onset must begin. Between notes that do not touch the voice is
/// silent.
public enum Singer {
    /// One note a syllable sings: times in seconds (any origin, e.g. the song's), pitch as a MIDI note number.
    public struct Note: Sendable, Hashable {
        public var start: Double
        public var end: Double
        public var pitch: Double

        public init(start: Double, end: Double, pitch: Double) {
            self.start = start
            self.end = end
            self.pitch = pitch
        }
    }

    /// The pitch ornaments (see `cdsp_sing_style`): glides between legato notes with a small overshoot, vibrato
    /// after a delay, fine random fluctuation from `seed`.
    public struct Style: Sendable, Hashable {
        public var glideDuration = 0.07
        public var overshootCents = 15.0
        public var vibratoRate = 5.5
        public var vibratoCents = 40.0
        public var vibratoDelay = 0.15
        public var fluctuationCents = 6.0
        public var seed: UInt64 = 0
        /// How the sung waveform is made; `.vocoder` falls back to `.psola` for a voice without vocoder frames.
        public var synthesis = Synthesis.vocoder

        public init(seed: UInt64 = 0) { self.seed = seed }
    }

    /// The two ways a line is sung (docs/vocals.md, "Singing from the score").
    public enum Synthesis: String, Sendable, Hashable, CaseIterable {
        /// The spoken line's vocoder frames (flite clustergen) played along the notes' phone durations with the
        /// notes' f0 curve by CDSP's mel-cepstral vocoder (`cdsp_vocoder.h`), straight at the output rate: a held
        /// vowel is synthesised, not repeated.
        case vocoder
        /// As `.vocoder`, but the frames are stretched and played by flite's own MLSA vocoder at 16 kHz and
        /// resampled (the first vocoder singer; kept to compare against).
        case mlsa
        /// The spoken waveform retimed and retuned by TD-PSOLA: a held vowel repeats pitch periods of the spoken one.
        case psola
    }

    public struct Word: Sendable, Hashable {
        public var text: String
        /// Seconds, on the notes' time axis: the start of the word's first consonant, the end of its last sound.
        public var start: Double
        public var end: Double
    }

    /// A sung line: mono samples, and where they and the words lie on the notes' time axis.
    public struct Phrase: Sendable {
        public var samples: [Float]
        public var sampleRate: Int
        /// Time of `samples[0]`, seconds (before the first note: the first onset consonants and a short lead).
        public var start: Double
        public var words: [Word]
        /// Sounding spans (onset start ..< syllable end), seconds; silence outside them.
        public var spans: [ClosedRange<Double>]
    }

    /// Lead before the first sound and tail after the last, seconds.
    static let lead = 0.05, tail = 0.08
    /// A vowel keeps at least this long, seconds, before consonants are squeezed.
    static let minimumVowel = 0.06
    /// Fade at the edges of each sounding span, seconds.
    static let fade = 0.006

    /// Sings `utterance` with `notes[i]` the notes of its i-th syllable (in the order of `utterance.line`'s
    /// syllables; a syllable with no notes, or beyond `notes`, is left out). Returns an empty phrase when nothing
    /// can be sung.
    public static func sing(_ utterance: SpeechUtterance, notes: [[Note]], sampleRate: Int = 44_100,
                            style: Style = Style()) throws -> Phrase {
        let sr = Double(utterance.sampleRate)
        let empty = Phrase(samples: [], sampleRate: sampleRate, start: notes.first?.first?.start ?? 0, words: [],
                           spans: [])
        guard !utterance.samples.isEmpty, utterance.f0 > 0, sr >= 4000 else { return empty }

        // Each sung syllable: its source phones (onset, vowel(s), coda) and its notes.
        struct Syllable {
            var index: Int
            var onsetStart, vowelStart, vowelEnd, codaEnd: Double  // source seconds
            var notes: [Note]
            var outOnset = 0.0, outEnd = 0.0, outVowelEnd = 0.0   // output seconds
        }
        var syllables: [Syllable] = []
        let byIndex = Dictionary(grouping: utterance.phones.filter { $0.syllable >= 0 }, by: \.syllable)
        for (i, sylNotes) in notes.enumerated() {
            let valid = sylNotes.filter { $0.end > $0.start }.sorted { $0.start < $1.start }
            guard !valid.isEmpty, let phones = byIndex[i]?.sorted(by: { $0.start < $1.start }), !phones.isEmpty
            else { continue }
            let vowels = phones.filter(\.isVowel)
            let vStart = vowels.first?.start ?? phones.first!.start
            let vEnd = vowels.last?.end ?? phones.last!.end
            syllables.append(Syllable(index: i, onsetStart: phones.first!.start, vowelStart: vStart, vowelEnd: vEnd,
                                      codaEnd: phones.last!.end, notes: valid))
        }
        syllables.sort { $0.notes[0].start < $1.notes[0].start }
        guard !syllables.isEmpty else { return empty }

        // Output timing. Onsets first: they end on the note, squeezed if the previous vowel would be too short.
        for k in syllables.indices {
            let noteStart = syllables[k].notes[0].start
            let onset = syllables[k].vowelStart - syllables[k].onsetStart
            var room = Double.infinity
            if k > 0 { room = max(0, noteStart - syllables[k - 1].notes[0].start - minimumVowel) }
            syllables[k].outOnset = noteStart - min(onset, room)
        }
        for k in syllables.indices {
            let noteStart = syllables[k].notes[0].start
            var end = syllables[k].notes.last!.end
            if k + 1 < syllables.count { end = min(end, syllables[k + 1].outOnset) }
            end = max(end, noteStart + 0.02)
            let coda = syllables[k].codaEnd - syllables[k].vowelEnd
            let codaOut = min(coda, max(0, end - noteStart - minimumVowel), max(0, end - noteStart) * 0.6)
            syllables[k].outEnd = end
            syllables[k].outVowelEnd = end - codaOut
        }
        let start = syllables[0].outOnset - lead
        let finish = syllables.last!.outEnd + tail
        // CDSP's vocoder sings at the output rate; flite's vocoder and the PSOLA at the voice's, resampled after.
        let frameData = utterance.vocoder
        let synthesis = frameData == nil ? Synthesis.psola : style.synthesis
        let rate = synthesis == .vocoder ? Double(sampleRate) : sr
        let frames = Int(((finish - start) * rate).rounded(.up))
        guard frames > 0 else { return empty }

        // Time map knots (output sample -> source sample at the voice's rate), in order.
        var mapOut: [Double] = [], mapSrc: [Double] = []
        func knot(_ out: Double, _ src: Double) {
            let o = max((out - start) * rate, mapOut.last ?? 0)
            mapOut.append(o)
            mapSrc.append(src * sr)
        }
        for s in syllables {
            knot(s.outOnset, s.onsetStart)
            knot(s.notes[0].start, s.vowelStart)
            knot(s.outVowelEnd, s.vowelEnd)
            knot(s.outEnd, s.codaEnd)
        }

        // Notes in output samples, sorted, not overlapping.
        var cNotes: [cdsp_sing_note] = []
        for n in syllables.flatMap(\.notes) {
            var a = (n.start - start) * rate
            let b = (n.end - start) * rate
            if let last = cNotes.last, a < last.end {
                if a < last.start + 1 { continue }
                cNotes[cNotes.count - 1].end = a
            }
            a = max(a, cNotes.last?.end ?? a)
            if b > a { cNotes.append(cdsp_sing_note(start: a, end: b, pitch: Float(n.pitch))) }
        }
        var cStyle = cdsp_sing_style()
        cdsp_sing_style_default(&cStyle)
        cStyle.glide_duration = Float(style.glideDuration)
        cStyle.overshoot_cents = Float(style.overshootCents)
        cStyle.vibrato_rate = Float(style.vibratoRate)
        cStyle.vibrato_cents = Float(style.vibratoCents)
        cStyle.vibrato_delay = Float(style.vibratoDelay)
        cStyle.fluctuation_cents = Float(style.fluctuationCents)
        cStyle.seed = style.seed

        var f0 = [Float](repeating: 0, count: frames)
        var out = [Float](repeating: 0, count: frames)
        guard cdsp_sing_f0_curve(cNotes, cNotes.count, &cStyle, Float(rate), &f0, frames) == CDSP_OK else {
            return empty
        }
        switch synthesis {
        case .vocoder:
            guard let frameData,
                  let sung = try vocodeOwn(frameData, mapOut: mapOut, mapSrcSeconds: mapSrc.map { $0 / sr }, f0: f0,
                                           rate: rate, frames: frames, seed: style.seed)
            else { return empty }
            out = sung
        case .mlsa:
            guard let frameData,
                  let sung = vocode(frameData, mapOut: mapOut, mapSrc: mapSrc, f0: f0, sampleRate: sr, frames: frames,
                                    seed: style.seed)
            else { return empty }
            out = sung
        case .psola:
            // Voicing of the source, from the phones.
            var voiced = [UInt8](repeating: 0, count: utterance.samples.count)
            for p in utterance.phones where p.syllable >= 0 && (p.isVowel || voicedConsonants.contains(p.name)) {
                let a = max(0, Int(p.start * sr)), b = min(voiced.count, Int(p.end * sr))
                if a < b { voiced.replaceSubrange(a..<b, with: repeatElement(1, count: b - a)) }
            }
            let period = sr / utterance.f0
            let capacity = Int(Double(utterance.samples.count) / (0.5 * period)) + 4
            var marks = [Double](repeating: 0, count: capacity)
            var markVoiced = [UInt8](repeating: 0, count: capacity)
            let psola = try Psola(sampleRate: Float(sr), sourceF0: Float(utterance.f0))
            let status: cdsp_status = utterance.samples.withUnsafeBufferPointer { src in
                let count = cdsp_sing_pitch_marks(src.baseAddress, src.count, Float(sr), Float(utterance.f0), voiced,
                                                  &marks, &markVoiced, capacity)
                guard count > 0 else { return CDSP_ERR_ARGUMENT }
                return cdsp_psola_process(psola.handle, src.baseAddress, src.count, marks, markVoiced, count, mapOut,
                                          mapSrc, mapOut.count, f0, &out, frames)
            }
            guard status == CDSP_OK else { return empty }
        }

        // Silence outside the sounding spans, short fades at their edges.
        var spans: [ClosedRange<Double>] = []
        for s in syllables {
            if let last = spans.last, s.outOnset - last.upperBound < 0.01 {
                spans[spans.count - 1] = last.lowerBound...max(last.upperBound, s.outEnd)
            } else {
                spans.append(s.outOnset...s.outEnd)
            }
        }
        let spanStarts = spans.map { ($0.lowerBound - start) * rate }
        let spanEnds = spans.map { ($0.upperBound - start) * rate }
        cdsp_sing_gate(&out, frames, spanStarts, spanEnds, spans.count, fade * rate)

        // To the output rate.
        var samples = out
        if Double(sampleRate) != rate {
            guard let resampled = resampledFast(out, ratio: Double(sampleRate) / rate) else { return empty }
            samples = resampled
        }

        // Words: from their first syllable's onset to their last syllable's end.
        var words: [Word] = []
        var first = 0
        let bySyllable = Dictionary(uniqueKeysWithValues: syllables.map { ($0.index, $0) })
        for w in utterance.line.words {
            let range = first..<(first + w.syllables.count)
            first += w.syllables.count
            let sung = range.compactMap { bySyllable[$0] }
            guard let a = sung.first, let b = sung.last else { continue }
            words.append(Word(text: w.text, start: a.outOnset, end: b.outEnd))
        }
        return Phrase(samples: samples, sampleRate: sampleRate, start: start, words: words, spans: spans)
    }

    /// The sung line from vocoder frames by CDSP's vocoder, at `rate`: `frames` samples on the time map
    /// (output samples -> source seconds) with the f0 curve `f0` (Hz per output sample); the voice's formant shift
    /// is read into the envelope, so nothing else touches the samples. Nil when the voice has no vocoder or the
    /// frames do not fit it; throws when the vocoder cannot be allocated (as the PSOLA path does).
    static func vocodeOwn(_ v: VocoderFrames, mapOut: [Double], mapSrcSeconds: [Double], f0: [Float], rate: Double,
                          frames: Int, seed: UInt64) throws -> [Float]? {
        guard let constants = constants(voice: v.voice), constants.bands == v.strengthChannels,
              v.count > 0, !mapOut.isEmpty
        else { return nil }
        let lent = try VocoderPool.shared.borrow(
            VocoderPool.Key(voice: v.voice, channels: v.channels, rate: Float(rate),
                            formantSemitones: Float(v.formantSemitones)), constants: constants)
        defer { VocoderPool.shared.giveBack(lent) }
        var out = [Float](repeating: 0, count: frames)
        let status = out.withUnsafeMutableBufferPointer { p in
            cdsp_vocoder_render(lent.vocoder.handle, v.params, v.count, v.strengthChannels > 0 ? v.strengths : nil, mapOut,
                                mapSrcSeconds, mapOut.count, f0, seed, p.baseAddress, frames)
        }
        return status == CDSP_OK ? out : nil
    }

    /// The sung line from vocoder frames by flite's MLSA vocoder (`Synthesis.mlsa`, for comparison): output frame
    /// j (at j * shift seconds from the line's start) takes the spoken frames at the time map's source time (linear
    /// between the two nearest, voicing from the nearer), and the f0 curve's value there where the source is voiced;
    /// flite's vocoder (CSpeech) plays the frames at 16 kHz, the spoken line's formant shift is applied, and the
    /// result is brought to `sampleRate`, `frames` long. (CDSP's vocoder reads the same map in C, sing_internal.h.)
    static func vocode(_ v: VocoderFrames, mapOut: [Double], mapSrc: [Double], f0: [Float], sampleRate sr: Double,
                       frames: Int, seed: UInt64) -> [Float]? {
        let voice = csp_voice(rawValue: UInt32(v.voice))
        let perFrame = Int(csp_vocode_frame_samples(voice))
        let count = v.count
        guard perFrame > 0, count > 0, v.shift > 0, !mapOut.isEmpty else { return nil }
        let vocoderRate = Double(perFrame) / v.shift
        let outFrames = Int((Double(frames) / sr / v.shift).rounded(.up)) + 1
        let ch = v.channels, sch = v.strengthChannels
        var params = [Float](repeating: 0, count: outFrames * ch)
        var strengths = [Float](repeating: 0, count: outFrames * sch)
        var knot = 0
        for j in 0..<outFrames {
            let t = Double(j) * v.shift * sr  // output sample
            while knot + 1 < mapOut.count && mapOut[knot + 1] <= t { knot += 1 }
            let tau: Double  // source sample
            if t <= mapOut[0] {
                tau = mapSrc[0]
            } else if knot + 1 >= mapOut.count {
                tau = mapSrc[mapOut.count - 1]
            } else {
                let span = mapOut[knot + 1] - mapOut[knot]
                let u = span > 0 ? (t - mapOut[knot]) / span : 0
                tau = mapSrc[knot] + u * (mapSrc[knot + 1] - mapSrc[knot])
            }
            let position = min(max(tau / sr / v.shift, 0), Double(count - 1))
            let i0 = Int(position), i1 = min(i0 + 1, count - 1)
            let w = Float(position - Double(i0))
            for c in 1..<ch {
                params[j * ch + c] = v.params[i0 * ch + c] * (1 - w) + v.params[i1 * ch + c] * w
            }
            for c in 0..<sch {
                strengths[j * sch + c] = v.strengths[i0 * sch + c] * (1 - w) + v.strengths[i1 * sch + c] * w
            }
            let nearest = w < 0.5 ? i0 : i1
            params[j * ch] = v.params[nearest * ch] > 0 ? f0[min(Int(t), frames - 1)] : 0
        }
        var low = [Float](repeating: 0, count: outFrames * perFrame)
        let status = low.withUnsafeMutableBufferPointer { out in
            csp_vocode(voice, params, Int32(outFrames), Int32(ch), sch > 0 ? strengths : nil, Int32(sch),
                       UInt32(truncatingIfNeeded: seed), out.baseAddress, out.count)
        }
        guard status == CSP_OK.rawValue else { return nil }
        if v.formantSemitones != 0 {
            low.withUnsafeMutableBufferPointer { p in
                _ = cdsp_pitch_shift(p.baseAddress!, p.count, Float(vocoderRate), 0, Float(v.formantSemitones),
                                     p.baseAddress!)
            }
        }
        guard let atRate = sr == vocoderRate ? low : resampledFast(low, ratio: sr / vocoderRate) else { return nil }
        var out = [Float](repeating: 0, count: frames)
        for i in 0..<min(frames, atRate.count) { out[i] = atRate[i] }
        return out
    }

    /// Mono samples brought to `ratio` times their rate by libsamplerate's fastest sinc converter: flite's 16 kHz
    /// voices hold nothing above ~7 kHz, so it loses nothing audible. Nil if the converter fails.
    static func resampledFast(_ x: [Float], ratio: Double) -> [Float]? {
        var out = [Float](repeating: 0, count: Int(Double(x.count) * ratio) + 64)
        var produced = 0
        let status = x.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { outp in
                cdsp_resample_fast(inp.baseAddress, inp.count, 1, ratio, outp.baseAddress, outp.count, &produced)
            }
        }
        guard status == CDSP_OK else { return nil }
        return Array(out[0..<produced])
    }

    /// flite's vocoder constants of a clustergen voice (a `csp_voice` raw value), read once; nil for a diphone voice.
    static func constants(voice: Int) -> VocoderConstants? { vocoderConstants[voice] }

    /// Only the voices that have a vocoder are in the table.
    private static let vocoderConstants: [Int: VocoderConstants] = {
        var table: [Int: VocoderConstants] = [:]
        for raw in 0..<Int(CSP_VOICE_COUNT) {
            var info = csp_vocoder_info()
            let voice = csp_voice(rawValue: UInt32(raw))
            guard csp_vocoder_info_get(voice, &info, nil, 0) == CSP_OK.rawValue else { continue }
            var filters = [Double](repeating: 0, count: Int(info.bands) * Int(info.band_taps))
            let status = filters.withUnsafeMutableBufferPointer { p in
                csp_vocoder_info_get(voice, &info, p.baseAddress, p.count)
            }
            guard status == CSP_OK.rawValue else { continue }
            table[raw] = VocoderConstants(sourceRate: info.sample_rate, frameShift: info.frame_shift, alpha: info.alpha,
                                          beta: info.beta, gain: info.gain, bands: Int(info.bands),
                                          bandFilters: filters)
        }
        return table
    }()

    /// flite's US English consonants that are voiced (sung on pitch); the others keep the source period.
    static let voicedConsonants: Set<String> = ["b", "d", "g", "v", "dh", "z", "zh", "jh", "m", "n", "ng", "l", "r",
                                                 "w", "y", "dx"]
}
