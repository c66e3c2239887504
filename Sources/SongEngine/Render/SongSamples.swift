import Foundation
internal import DSP

/// A whole song's stereo samples, which mastering, the stems' gain and the encoders pass over piece by piece
/// (issue 14, docs/speed.md "Mastering in passes over the disk"): in memory (`StereoBuffer`), or parked on disk
/// (`SpillFile`) so that no song-length buffer is in memory while a version is mastered and written.
///
/// Every pass reads the pieces in order, `SongSamples.pieceFrames` at a time (a whole number of render blocks, so
/// the filters and dynamics that work in render blocks see the blocks they would over the whole song), and may
/// write each piece back where it came from, or, for a limiter, a look-ahead behind it. The samples are the same
/// as with whole-song passes: every stage keeps its state from piece to piece, and the meters
/// (`LoudnessMeter`, `TruePeakMeter`, `BandMeter`) give the whole-buffer figures.
protocol SongSamples {
    var frames: Int { get }
    var sampleRate: Int { get }
    /// Frames `range` (clamped to the song).
    func read(_ range: Range<Int>) throws -> StereoBuffer
    /// The first `count` frames of `piece`, written at frame `start`.
    mutating func write(_ piece: StereoBuffer, count: Int, at start: Int) throws
}

extension SongSamples {
    /// 16 render blocks (1.5 s at 44.1 kHz, 512 KB a piece).
    static var pieceFrames: Int { 16 * renderBlock }

    var duration: Double { Double(frames) / Double(sampleRate) }

    /// Every piece in order, read-only.
    func scan(_ body: (StereoBuffer, Int) throws -> Void) throws {
        var start = 0
        while start < frames {
            let piece = try read(start..<min(frames, start + Self.pieceFrames))
            try body(piece, start)
            start += piece.frames
        }
    }

    /// Every piece in order, changed by `body` and written back in place.
    mutating func update(_ body: (inout StereoBuffer, Int) throws -> Void) throws {
        var start = 0
        while start < frames {
            var piece = try read(start..<min(frames, start + Self.pieceFrames))
            try body(&piece, start)
            try write(piece, count: piece.frames, at: start)
            start += piece.frames
        }
    }
}

extension StereoBuffer: SongSamples {
    func read(_ range: Range<Int>) throws -> StereoBuffer {
        let range = range.clamped(to: 0..<frames)
        return StereoBuffer(left: Array(left[range]), right: Array(right[range]), sampleRate: sampleRate)
    }

    mutating func write(_ piece: StereoBuffer, count: Int, at start: Int) throws {
        let count = max(0, min(count, frames - start))
        guard count > 0 else { return }
        left.replaceSubrange(start..<start + count, with: piece.left[0..<count])
        right.replaceSubrange(start..<start + count, with: piece.right[0..<count])
    }
}

/// A meter fed a song in pieces (`LoudnessMeter`, `TruePeakMeter`, `BandMeter`).
protocol PieceMeter {
    func add(left: [Float], right: [Float], count: Int)
}

extension PieceMeter {
    /// The first `count` frames of `piece` (all of them by default).
    func add(_ piece: StereoBuffer, count: Int? = nil) {
        add(left: piece.left, right: piece.right, count: count ?? piece.frames)
    }
}

extension LoudnessMeter: PieceMeter {}
extension TruePeakMeter: PieceMeter {}
extension BandMeter: PieceMeter {}

/// The loudness and true peak of a signal heard in order (a pass's output), as `Mastering.report` gives them.
struct LoudnessMeters {
    let loudness: LoudnessMeter
    let peak: TruePeakMeter

    init(sampleRate: Int) throws {
        loudness = try LoudnessMeter(sampleRate: sampleRate)
        peak = try TruePeakMeter()
    }

    func add(_ piece: StereoBuffer, count: Int? = nil) {
        loudness.add(piece, count: count)
        peak.add(piece, count: count)
    }

    /// Ends the signal: the report (silence at the floors).
    func report() -> LoudnessReport {
        let dbtp = peak.finish()
        return LoudnessReport(integratedLUFS: loudness.integrated ?? LoudnessReport.silenceLUFS,
                              truePeakDBTP: dbtp.isFinite ? dbtp : LoudnessReport.silenceDBTP)
    }
}
