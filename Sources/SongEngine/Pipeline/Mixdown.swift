import Foundation

/// One version's mixdown: the accompaniment rendered and ducked under the vocal, the vocal balanced against it, and
/// the stems that go with the mix. Mastering, encoding and the files come after, in `ChromasongEngine.renderVersion`.
struct Mixdown {
    /// The whole mix, not yet mastered.
    var mix: StereoBuffer
    /// The accompaniment alone, when a vocal was mixed over it, parked on disk until the stems are written; nil when
    /// the mix is one part (then the stem is the mix itself).
    var instrumental: SpilledBuffer?
    /// The vocal as balanced in the mix, when it was mixed over an accompaniment, parked likewise; nil otherwise.
    var vocals: SpilledBuffer?

    /// `vocalOnly` with a vocal: the a-cappella vocal is the mix and nothing of the accompaniment is rendered.
    /// Otherwise the accompaniment is rendered, and a vocal, when there is one, ducks it (its envelope) and is
    /// scaled to sit at the style's balance over it in the sung spans.
    ///
    /// The vocal's stem comes parked on disk (`sungStem`; `vocal` carries its lyrics and timings) and is read back
    /// only once the accompaniment is rendered, so the two are not in memory together with the renderer's work
    /// (issue 14). `park` puts a stem on disk under a name: the instrumental is parked before the vocal is added
    /// into it in place to make the mix, and the vocal after, so the mix is the one song-length buffer left.
    static func make(score: Score, vocal: VocalRender?, sungStem: SpilledBuffer?, vocalOnly: Bool, style: StylePreset,
                     instruments: InstrumentLibrary, sampleRate: Int, clock: TimingRecorder, version: Int,
                     park: (StereoBuffer, String) throws -> SpilledBuffer) throws -> Mixdown {
        if vocalOnly, let sungStem {
            return Mixdown(mix: try sungStem.restore(), instrumental: nil, vocals: nil)
        }
        let musicSeconds = score.durationSeconds
        var rendered = try Renderer.render(score: score, style: style, instruments: instruments, sampleRate: sampleRate)
        clock.record("synthesis", version: version, seconds: rendered.synthesisSeconds, audio: musicSeconds)
        clock.record("effects+mix", version: version, seconds: rendered.effectsSeconds, audio: musicSeconds)
        guard let sung = vocal, let sungStem else {
            // The mono low end (LowEnd); the section ride comes in mastering.
            try clock.measure("low end", version: version, audio: musicSeconds) { try LowEnd.monoBass(&rendered.mix) }
            return Mixdown(mix: rendered.mix, instrumental: nil, vocals: nil)
        }
        return try clock.measure("vocal mix", version: version, audio: sung.sungSeconds) {
            var voice = try sungStem.restore()
            try VocalMix.duck(&rendered.mix, envelope: VocalMix.duckEnvelope(voice))
            let spans = sung.lyrics.filter { !$0.words.isEmpty }
                .map { (start: Double($0.start) / 1000, end: Double($0.end) / 1000) }
            let gain = VocalMix.balanceGain(vocal: voice, instrumental: rendered.mix, spans: spans)
            Samples.scale(&voice.left, gain)
            Samples.scale(&voice.right, gain)
            // The balance is set; the low end goes mono (the section ride comes in mastering, on mix and stems).
            try LowEnd.monoBass(&rendered.mix)
            try LowEnd.monoBass(&voice)
            let instrumental = try park(rendered.mix, "instrumental")
            VocalMix.add(voice, gain: 1, into: &rendered.mix)
            let vocals = try park(voice, "vocals")
            return Mixdown(mix: rendered.mix, instrumental: instrumental, vocals: vocals)
        }
    }
}
