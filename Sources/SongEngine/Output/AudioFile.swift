import Foundation
internal import CDSP

/// Writes planar audio through the C core's libsndfile writer, in blocks.
enum AudioFile {
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var status: Int32
        var description: String { "cannot write audio file \(path) (status \(status))" }
    }

    static func write(_ buffer: StereoBuffer, to url: URL, format: AudioFormat, wavDepth24: Bool = false) throws {
        let cFormat: cdsp_audio_format
        switch format {
        case .wav: cFormat = wavDepth24 ? CDSP_AUDIO_WAV24 : CDSP_AUDIO_WAV16
        case .flac: cFormat = CDSP_AUDIO_FLAC
        case .mp3: cFormat = CDSP_AUDIO_MP3
        case .ogg: cFormat = CDSP_AUDIO_OGG
        }
        var status = CDSP_OK
        guard let writer = cdsp_audio_writer_open(url.path, cFormat, 2, Int32(buffer.sampleRate), &status) else {
            throw WriteError(path: url.path, status: status.rawValue)
        }
        let written = buffer.left.withUnsafeBufferPointer { l in
            buffer.right.withUnsafeBufferPointer { r in
                cdsp_audio_writer_write(writer, l.baseAddress, r.baseAddress, buffer.frames)
            }
        }
        let closed = cdsp_audio_writer_close(writer)
        guard written == CDSP_OK, closed == CDSP_OK else {
            throw WriteError(path: url.path, status: (written == CDSP_OK ? closed : written).rawValue)
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
