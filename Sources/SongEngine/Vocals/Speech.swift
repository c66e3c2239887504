import Foundation
import Synchronization
internal import CDSP
internal import CSpeech
// Imported for its module map's link lines (flite has no pkg-config file): Swift autolinks the flite libraries.
internal import CFlite

/// flite, as Chromasong uses it: the pronunciation of a lyric line (lexicon, letter-to-sound rules and flite's text
/// normaliser: "42" is "forty two", "Dr." is "doctor") and the line spoken at a flat pitch, the source the singer
/// retimes and retunes.
///
/// Input is made safe first: accented letters are folded to ASCII ("café" -> "cafe"), emoji, symbols and control
/// characters are dropped, and the line is capped (``maxTokenCount`` tokens of at most ``maxTokenLength``
/// characters). A token with nothing to say is absent from the result. flite itself is not thread-safe (its voices
/// carry mutable features); the C wrapper serialises every call behind one mutex, so `Speech` may be used from any
/// thread, one flite run at a time.
public final class Speech: Pronouncing, Sendable {
    public static let shared = Speech()

    /// Sample rate of both voices.
    public static let sampleRate = 16_000
    /// Tokens beyond this many are not pronounced.
    public static let maxTokenCount = 64
    /// Longer tokens are cut to this many characters (after folding to ASCII).
    public static let maxTokenLength = 32

    /// Pronunciations already worked out (the lyric writer asks about the same words many times); flite is
    /// deterministic, so a cached line is the line flite would give again.
    private let cache = PronunciationCache(limit: 4096)
    /// Spoken lines, up to 4 MB. Until stop 34 the vocoder frames (all the vocoder path keeps) were not counted,
    /// so nothing was let go: heaptrack found 3.7 MB of them held at the peak of a 3-minute sung version, 10.2 MB
    /// at a 10-minute one's.
    private let spoken = UtteranceCache(limitBytes: 4 << 20)

    private init() {
        _ = csp_init()
    }

    public func pronounce(line: String) -> PronouncedLine {
        if let cached = cache[line] { return cached }
        let input = Self.prepare(line)
        var pronounced = PronouncedLine(words: [])
        if !input.tokens.isEmpty {
            var result: UnsafeMutablePointer<csp_result>?
            if csp_pronounce(input.text, &result) == CSP_OK.rawValue, let r = result {
                pronounced = Self.line(from: r.pointee, input: input)
                csp_result_free(r)
            }
        }
        cache[line] = pronounced
        return pronounced
    }

    /// Speaks `line` with the flite voice `speaker` at a flat pitch of `f0` Hz (clamped to 50...500), durations scaled by
    /// `stretch` (clamped to 0.25...4), its formants moved by `formantSemitones` (clamped to -12...12; the pitch
    /// stays flat at `f0`). The utterance's `line` comes from the same flite run as its phones.
    /// With `waveform` false a clustergen voice (slt, rms) makes no samples (they are silence of the line's length):
    /// only its vocoder frames, which is all the singer's vocoder path needs, at about half the cost.
    public func speak(line: String, speaker: Speaker, f0: Double, stretch: Double = 1, formantSemitones: Double = 0,
                      waveform: Bool = true) -> SpeechUtterance
    {
        let f0 = f0.isNaN ? 120 : min(max(f0, 50), 500)
        let stretch = stretch.isNaN ? 1 : min(max(stretch, 0.25), 4)
        // flite is deterministic (reseeded per call), so a line spoken before is the line flite would give again:
        // repeated choruses and the versions of one song (which share their lyrics) speak each line once.
        let formant = formantSemitones.isNaN ? 0 : min(max(formantSemitones, -12), 12)
        let key = "\(speaker.rawValue)\u{1F}\(f0)\u{1F}\(stretch)\u{1F}\(formant)\u{1F}\(waveform)\u{1F}\(line)"
        return spoken.value(for: key) {
            synthesise(line: line, speaker: speaker, f0: f0, stretch: stretch, formantSemitones: formant, waveform: waveform)
        }
    }

    private func synthesise(line: String, speaker: Speaker, f0: Double, stretch: Double, formantSemitones: Double,
                            waveform: Bool) -> SpeechUtterance
    {
        let input = Self.prepare(line)
        let empty = SpeechUtterance(sampleRate: Self.sampleRate, f0: f0, samples: [], phones: [],
                                    line: PronouncedLine(words: []))
        guard !input.tokens.isEmpty else { return empty }
        let cVoice: csp_voice
        switch speaker {
        case .slt: cVoice = CSP_VOICE_SLT
        case .rms: cVoice = CSP_VOICE_RMS
        case .kal16: cVoice = CSP_VOICE_KAL16
        }
        var result: UnsafeMutablePointer<csp_result>?
        let speak = waveform ? csp_speak : csp_speak_frames
        guard speak(input.text, cVoice, f0, stretch, &result) == CSP_OK.rawValue, let r = result else {
            return empty
        }
        defer { csp_result_free(r) }
        let c = r.pointee
        let pronounced = Self.line(from: c, input: input)
        var phones: [SpeechPhone] = []
        phones.reserveCapacity(Int(c.segment_count))
        for i in 0..<Int(c.segment_count) {
            let s = c.segments[i]
            phones.append(SpeechPhone(name: Self.name(s.name), start: Double(s.start), end: Double(s.end),
                                      isVowel: s.is_vowel != 0, syllable: Int(s.syllable)))
        }
        var samples = c.samples == nil ? [] : Array(UnsafeBufferPointer(start: c.samples, count: c.sample_count))
        let sampleRate = c.sample_rate > 0 ? Int(c.sample_rate) : Self.sampleRate
        if formantSemitones != 0 && !samples.isEmpty && (waveform || c.params == nil) {
            // The C core's shifter, pitch unchanged: the flat source keeps its f0 and phone times exactly.
            samples.withUnsafeMutableBufferPointer { p in
                _ = cdsp_pitch_shift(p.baseAddress!, p.count, Float(sampleRate), 0, Float(formantSemitones),
                                     p.baseAddress!)
            }
        }
        var vocoder: VocoderFrames?
        if let params = c.params, c.param_frames > 0, c.param_channels > 1, c.frame_shift > 0 {
            let n = Int(c.param_frames)
            vocoder = VocoderFrames(
                voice: Int(cVoice.rawValue), shift: Double(c.frame_shift), channels: Int(c.param_channels),
                params: Array(UnsafeBufferPointer(start: params, count: n * Int(c.param_channels))),
                strengthChannels: Int(c.strength_channels),
                strengths: c.strengths == nil ? [] : Array(UnsafeBufferPointer(start: c.strengths,
                                                                              count: n * Int(c.strength_channels))),
                formantSemitones: formantSemitones)
        }
        return SpeechUtterance(sampleRate: sampleRate, f0: f0,
                               samples: samples, phones: phones, line: pronounced, vocoder: vocoder)
    }

    // MARK: - Input

    /// A line made safe for flite: `text` is printable ASCII, one space between tokens; `tokens[i]` is the user's
    /// token (punctuation stripped) that flite will read as its i-th token.
    struct Input {
        var text: String
        var tokens: [String]
    }

    static func prepare(_ line: String) -> Input {
        var ascii: [String] = []
        var originals: [String] = []
        var current = ""
        func flush() {
            defer { current = "" }
            guard ascii.count < maxTokenCount, !current.isEmpty else { return }
            var folded = fold(current)
            guard folded.utf8.contains(where: { isAlphanumeric($0) }) else { return }
            if folded.utf8.count > maxTokenLength { folded = String(folded.prefix(maxTokenLength)) }
            ascii.append(folded)
            originals.append(stripPunctuation(current))
        }
        for scalar in line.unicodeScalars {
            let category = scalar.properties.generalCategory
            if scalar.properties.isWhitespace || category == .control || category == .lineSeparator
                || category == .paragraphSeparator || category == .spaceSeparator {
                flush()
            } else {
                current.unicodeScalars.append(scalar)
            }
            if ascii.count >= maxTokenCount { break }
        }
        flush()
        return Input(text: ascii.joined(separator: " "), tokens: originals)
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }

    /// Letters with no decomposition to ASCII, and typographic punctuation flite knows in its ASCII form.
    private static let foldings: [Unicode.Scalar: String] = [
        "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
        "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ŋ": "ng",
        "\u{2018}": "'", "\u{2019}": "'", "\u{201B}": "'", "\u{02BC}": "'", "\u{201C}": "\"", "\u{201D}": "\"",
        "\u{201E}": "\"", "\u{00AB}": "\"", "\u{00BB}": "\"", "\u{2010}": "-", "\u{2011}": "-", "\u{2013}": "-",
        "\u{2014}": "-", "\u{2015}": "-", "\u{00BF}": "", "\u{00A1}": "",
    ]

    /// Folds a token to printable ASCII: compatibility decomposition, combining marks dropped, a few letters
    /// mapped by hand, everything else (emoji, symbols, other scripts) dropped.
    static func fold(_ token: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in token.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.isASCII {
                if scalar.value >= 32 && scalar.value < 127 { out.append(scalar) }
                continue
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            if let mapped = foldings[scalar] { out.append(contentsOf: mapped.unicodeScalars) }
        }
        return String(out)
    }

    /// The user's token without leading and trailing punctuation, symbols or emoji.
    static func stripPunctuation(_ token: String) -> String {
        func keep(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        guard let first = token.firstIndex(where: keep), let last = token.lastIndex(where: keep) else { return token }
        return String(token[first...last])
    }

    // MARK: - Results

    private static func name(_ tuple: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar)) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func line(from r: csp_result, input: Input) -> PronouncedLine {
        let useOriginals = Int(r.token_count) == input.tokens.count
        var words: [PronouncedWord] = []
        for t in 0..<Int(r.token_count) {
            let token = r.tokens[t]
            guard token.syllable_count > 0 else { continue }
            var syllables: [PronouncedSyllable] = []
            for s in Int(token.first_syllable)..<Int(token.first_syllable + token.syllable_count) {
                let syl = r.syllables[s]
                let phones = (Int(syl.first_phone)..<Int(syl.first_phone + syl.phone_count)).map { name(r.phones[$0]) }
                syllables.append(PronouncedSyllable(phones: phones, nucleus: Int(syl.nucleus), stress: Int(syl.stress)))
            }
            let text = useOriginals ? input.tokens[t] : String(cString: token.text)
            words.append(PronouncedWord(text: text, syllables: syllables))
        }
        return PronouncedLine(words: words)
    }
}

/// A bounded map from line to pronunciation, safe to share between threads (emptied when full: lyric writing
/// touches a working set far below the limit).
private final class PronunciationCache: Sendable {
    private let lines = Mutex<[String: PronouncedLine]>([:])
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    subscript(line: String) -> PronouncedLine? {
        get { lines.withLock { $0[line] } }
        set {
            lines.withLock { lines in
                if lines.count >= limit { lines.removeAll(keepingCapacity: true) }
                lines[line] = newValue
            }
        }
    }
}

/// A bounded map from (voice, pitch, stretch, line) to the spoken utterance, safe to share between threads. A line
/// being spoken for one caller is waited for by the others, so two versions rendering side by side still speak it
/// once. What it holds is counted in bytes (samples and vocoder frames: the vocoder path keeps no samples, only
/// frames); past `limitBytes` the oldest lines go first, so a long song holds no more than a short one.
final class UtteranceCache: Sendable {
    /// One line's utterance; its condition is how the other callers wait for the one speaking it.
    private final class Slot: @unchecked Sendable {
        let done = NSCondition()
        var value: SpeechUtterance?
    }

    private struct State {
        var slots: [String: Slot] = [:]
        /// Spoken lines in the order they were finished, with their bytes; `head` is the oldest still held.
        var finished: [(key: String, bytes: Int)] = []
        var head = 0
        var bytes = 0
    }
    private let state = Mutex(State())
    private let limit: Int

    init(limitBytes: Int) { limit = limitBytes }

    /// Bytes held now.
    var bytes: Int { state.withLock { $0.bytes } }

    static func bytes(of u: SpeechUtterance) -> Int {
        4 * (u.samples.count + (u.vocoder?.params.count ?? 0) + (u.vocoder?.strengths.count ?? 0))
    }

    func value(for key: String, make: () -> SpeechUtterance) -> SpeechUtterance {
        let (slot, owner): (Slot, Bool) = state.withLock { state in
            if let s = state.slots[key] { return (s, false) }
            let s = Slot()
            state.slots[key] = s
            return (s, true)
        }
        if !owner {
            slot.done.lock()
            while slot.value == nil { slot.done.wait() }
            let v = slot.value!
            slot.done.unlock()
            return v
        }
        let v = make()
        slot.done.lock()
        slot.value = v
        slot.done.broadcast()
        slot.done.unlock()
        state.withLock { state in
            let size = Self.bytes(of: v)
            state.finished.append((key, size))
            state.bytes += size
            // Waiters already hold their slot, so dropping a finished line from the map never strands one.
            while state.bytes > limit, state.head < state.finished.count {
                let oldest = state.finished[state.head]
                state.slots[oldest.key] = nil
                state.bytes -= oldest.bytes
                state.head += 1
            }
            if state.head > 256, state.head * 2 > state.finished.count {
                state.finished.removeFirst(state.head)
                state.head = 0
            }
        }
        return v
    }
}
