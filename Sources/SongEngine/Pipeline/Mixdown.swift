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
    /// The vocal's stem comes parked on disk (`sungStem`; `vocal` carries its lyrics and timings) and stays there: it
    /// is read back a few seconds at a time (its ducking envelope, then its level in each sung line, then the piece
    /// by piece balance, low end and sum into the mix), so no song-length vocal buffer is in memory beside the mix
    /// (issue 14). Every sample is the same as with the whole buffers: pieces are whole render and envelope blocks.
    /// `spill` names the file a stem waits in: the instrumental is parked before the vocal is added into it in place
    /// to make the mix, and the balanced vocal is written piece by piece as it is added, so the mix is the one
    /// song-length buffer left.
    static func make(score: Score, vocal: VocalRender?, sungStem: SpilledBuffer?, vocalOnly: Bool, style: StylePreset,
                     instruments: InstrumentLibrary, sampleRate: Int, clock: TimingRecorder, version: Int,
                     spill: (String) throws -> URL) throws -> Mixdown {
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
            try VocalMix.duck(&rendered.mix, envelope: VocalMix.duckEnvelope(sungStem))
            let spans = sung.lyrics.filter { !$0.words.isEmpty }
                .map { (start: Double($0.start) / 1000, end: Double($0.end) / 1000) }
            let gain = try VocalMix.balanceGain(vocal: sungStem, instrumental: rendered.mix, spans: spans)
            // The balance is set; the low end goes mono (the section ride comes in mastering, on mix and stems).
            try LowEnd.monoBass(&rendered.mix)
            let instrumental = try SpilledBuffer.park(rendered.mix, at: try spill("instrumental"))
            let vocals = try SpillWriter(at: try spill("vocals"), frames: sungStem.frames, sampleRate: sampleRate)
            let lowEnd = try LowEnd.MonoBass(sampleRate: sampleRate)
            var start = 0
            while start < sungStem.frames {
                var voice = try sungStem.read(start..<start + VocalMix.pieceFrames)
                Samples.scale(&voice.left, gain)
                Samples.scale(&voice.right, gain)
                lowEnd.process(&voice)
                let n = max(0, min(voice.frames, rendered.mix.frames - start))
                addStereo(voice.left, voice.right, count: n, gain: 1, into: &rendered.mix, at: start)
                try vocals.write(voice, at: start)
                start += voice.frames
            }
            sungStem.remove()
            return Mixdown(mix: rendered.mix, instrumental: instrumental, vocals: try vocals.finish())
        }
    }
}
