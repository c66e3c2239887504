import Foundation
internal import CDSP

/// Writes planar audio through the C core's libsndfile writer, in blocks.
enum AudioFile {
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var status: Int32
        var description: String { "cannot write audio file \(path) (status \(status))" }
    }

    /// Writes every frame of `samples`, read a piece at a time (a song parked on disk is never whole in memory).
    static func write<S: SongSamples>(_ samples: S, to url: URL, format: AudioFormat, wavDepth24: Bool = false) throws {
        let writer = try Writer(url: url, format: format, sampleRate: samples.sampleRate, wavDepth24: wavDepth24)
        try samples.scan { piece, _ in try writer.write(piece, count: piece.frames) }
        try writer.close()
    }

    /// A file being written, piece by piece (the C writer encodes in blocks of 4096 frames whatever the pieces, so
    /// the bytes are the same however the song is cut). A writer dropped without `close` closes its file.
    final class Writer {
        private var handle: OpaquePointer?
        private let path: String

        init(url: URL, format: AudioFormat, sampleRate: Int, wavDepth24: Bool = false) throws {
            let cFormat: cdsp_audio_format
            switch format {
            case .wav: cFormat = wavDepth24 ? CDSP_AUDIO_WAV24 : CDSP_AUDIO_WAV16
            case .flac: cFormat = CDSP_AUDIO_FLAC
            case .mp3: cFormat = CDSP_AUDIO_MP3
            case .ogg: cFormat = CDSP_AUDIO_OGG
            }
            path = url.path
            var status = CDSP_OK
            guard let writer = cdsp_audio_writer_open(url.path, cFormat, 2, Int32(sampleRate), &status) else {
                throw WriteError(path: url.path, status: status.rawValue)
            }
            handle = writer
        }

        deinit { if let handle { _ = cdsp_audio_writer_close(handle) } }

        /// The first `count` frames of `piece`.
        func write(_ piece: StereoBuffer, count: Int) throws {
            guard let handle else { preconditionFailure("write after close") }
            let written = piece.left.withUnsafeBufferPointer { l in
                piece.right.withUnsafeBufferPointer { r in
                    cdsp_audio_writer_write(handle, l.baseAddress, r.baseAddress, min(count, l.count, r.count))
                }
            }
            guard written == CDSP_OK else { throw WriteError(path: path, status: written.rawValue) }
        }

        func close() throws {
            guard let handle else { return }
            self.handle = nil
            let closed = cdsp_audio_writer_close(handle)
            guard closed == CDSP_OK else { throw WriteError(path: path, status: closed.rawValue) }
        }
    }
}

extension AudioFile {
    struct ReadError: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read audio file \(path)" }
    }

    /// The true peak (dBTP) of any file libsndfile reads, read in blocks (memory independent of its length).
    static func truePeak(_ url: URL) throws -> Double {
        var dbtp = 0.0
        guard cdsp_audio_file_true_peak(url.path, &dbtp) == CDSP_OK else { throw ReadError(path: url.path) }
        return dbtp
    }

    /// Reads any file libsndfile reads into a stereo buffer (mono is duplicated).
    static func read(_ url: URL) throws -> StereoBuffer {
        var left: UnsafeMutablePointer<Float>?
        var right: UnsafeMutablePointer<Float>?
        var frames = 0
        var rate: Int32 = 0
        var channels: Int32 = 0
        guard cdsp_audio_read(url.path, &left, &right, &frames, &rate, &channels) == CDSP_OK, let left else {
            throw ReadError(path: url.path)
        }
        defer {
            cdsp_audio_free(left)
            if let right { cdsp_audio_free(right) }
        }
        let l = [Float](UnsafeBufferPointer(start: left, count: frames))
        let r = right.map { [Float](UnsafeBufferPointer(start: $0, count: frames)) } ?? l
        return StereoBuffer(left: l, right: r, sampleRate: Int(rate))
    }
}
