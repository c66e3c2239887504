import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole-song stereo buffer parked on disk while the render does not need it in memory, so that memory holds
/// fewer song-length buffers at once (issue 14, docs/speed.md: a sung version's vocal waits here while the
/// accompaniment renders and is read back in pieces by the mixdown; the instrumental and vocal stems wait here
/// while the mix is mastered and encoded). The file lives in the render's staging folder, so a failed or cancelled
/// render removes it with everything else; `restore` and `remove` remove it. Raw native float32, the whole left
/// channel then the whole right: read back bit for bit, whole or any range of frames. Errors are `POSIXError`s
/// (a full disk says ENOSPC).
struct SpilledBuffer: Sendable {
    let url: URL
    let frames: Int
    let sampleRate: Int

    /// Writes `buffer` to `url` (created; an existing file is replaced).
    static func park(_ buffer: StereoBuffer, at url: URL) throws -> SpilledBuffer {
        let writer = try SpillWriter(at: url, frames: buffer.frames, sampleRate: buffer.sampleRate)
        try writer.write(buffer, at: 0)
        return try writer.finish()
    }

    /// The buffer as written; the file is removed.
    func restore() throws -> StereoBuffer {
        defer { remove() }
        return try read(0..<frames)
    }

    /// Frames `range` of the buffer (clamped to its length), the file kept.
    func read(_ range: Range<Int>) throws -> StereoBuffer {
        try SpillFile(self, writable: false).read(range)
    }

    /// Reads the buffer back in order, `pieceFrames` at a time (the last piece shorter): `body(piece, start)`.
    func forEachPiece(_ pieceFrames: Int, _ body: (inout StereoBuffer, Int) throws -> Void) throws {
        var start = 0
        while start < frames {
            var piece = try read(start..<start + pieceFrames)
            try body(&piece, start)
            start += piece.frames
        }
    }

    /// Removes the file.
    func remove() { unlink(url.path) }

    /// Writes the first `count` frames of `piece` at frame `start` of the parked layout of a `frames`-frame buffer
    /// open as `fd` (the frames past its end are not written).
    static func write(_ piece: StereoBuffer, count: Int, at start: Int, of frames: Int, to fd: Int32) throws {
        let count = max(0, min(count, piece.frames, frames - start))
        guard count > 0 else { return }
        // Read-only access: a mutable one would copy a shared buffer (a whole song, for `park`).
        try piece.left.withUnsafeBytes {
            try transfer(fd, UnsafeMutableRawPointer(mutating: $0.baseAddress!), count * 4, at: start * 4, write: true)
        }
        try piece.right.withUnsafeBytes {
            try transfer(fd, UnsafeMutableRawPointer(mutating: $0.baseAddress!), count * 4, at: (frames + start) * 4,
                         write: true)
        }
    }

    /// Moves `count` bytes between `bytes` and the file at `offset`, all of them (a short transfer continues,
    /// EINTR retries; a read past the end is EIO: the file is shorter than written).
    static func transfer(_ fd: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int, at offset: Int, write: Bool) throws {
        guard count > 0, let bytes else { return }
        var done = 0
        while done < count {
            let n = write ? pwrite(fd, bytes + done, count - done, off_t(offset + done))
                          : pread(fd, bytes + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { throw POSIXError(.EIO) }
            done += n
        }
    }
}

/// Writes a `SpilledBuffer` piece by piece, in any order, as a stage produces it; `finish` closes it. A writer
/// dropped without `finish` (an error on the way) closes and removes its file.
final class SpillWriter {
    let url: URL
    let frames: Int
    let sampleRate: Int
    private var fd: Int32

    /// Creates (or replaces) the file for a buffer of `frames` frames.
    init(at url: URL, frames: Int, sampleRate: Int) throws {
        fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        self.url = url
        self.frames = frames
        self.sampleRate = sampleRate
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(url.path)
        }
    }

    /// Writes `piece` at frame `start` (the frames past the buffer's end are not written).
    func write(_ piece: StereoBuffer, at start: Int) throws {
        precondition(fd >= 0, "write after finish")
        try SpilledBuffer.write(piece, count: piece.frames, at: start, of: frames, to: fd)
    }

    /// Closes the file: the parked buffer, read back by `SpilledBuffer`.
    func finish() throws -> SpilledBuffer {
        let descriptor = fd
        fd = -1
        if close(descriptor) != 0 {
            let failure = errno
            unlink(url.path)
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
        return SpilledBuffer(url: url, frames: frames, sampleRate: sampleRate)
    }
}

/// A parked buffer opened for passes that change it in place (`SongSamples`): mastering works on the parked mix, and
/// the stems' gain on the parked stems, a piece at a time.
final class SpillFile: SongSamples {
    let buffer: SpilledBuffer
    private let fd: Int32
    var frames: Int { buffer.frames }
    var sampleRate: Int { buffer.sampleRate }

    /// Opens the file; read-only unless `writable`.
    init(_ buffer: SpilledBuffer, writable: Bool = true) throws {
        fd = open(buffer.url.path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        self.buffer = buffer
    }

    deinit { close(fd) }

    func read(_ range: Range<Int>) throws -> StereoBuffer {
        let range = range.clamped(to: 0..<frames)
        var left = [Float](repeating: 0, count: range.count), right = left
        let at = range.lowerBound * 4
        try left.withUnsafeMutableBytes { try SpilledBuffer.transfer(fd, $0.baseAddress, $0.count, at: at, write: false) }
        try right.withUnsafeMutableBytes {
            try SpilledBuffer.transfer(fd, $0.baseAddress, $0.count, at: frames * 4 + at, write: false)
        }
        return StereoBuffer(left: left, right: right, sampleRate: sampleRate)
    }

    func write(_ piece: StereoBuffer, count: Int, at start: Int) throws {
        try SpilledBuffer.write(piece, count: count, at: start, of: frames, to: fd)
    }
}

/// Sung takes (mono float) parked as the singers make them, so a long song's lines wait on disk, not in memory, until
/// the vocal chain mixes them (issue 14: the sung job's peak memory flat in the song's length). Singers on several
/// threads append at once; each take is read back by range. The file is removed when the last reference goes.
final class TakeFile: Sendable {
    /// A parked take: `count` samples from sample `offset` of `file`.
    struct Take: Sendable {
        let file: TakeFile
        let offset: Int
        let count: Int

        /// Samples `range` of the take (clamped to it).
        func read(_ range: Range<Int>) throws -> [Float] {
            let range = range.clamped(to: 0..<count)
            var samples = [Float](repeating: 0, count: range.count)
            try samples.withUnsafeMutableBytes {
                try SpilledBuffer.transfer(file.fd, $0.baseAddress, $0.count, at: (offset + range.lowerBound) * 4,
                                           write: false)
            }
            return samples
        }
    }

    let url: URL
    private let fd: Int32
    private let end = Mutex(0)

    init(at url: URL) throws {
        fd = open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        self.url = url
    }

    deinit {
        close(fd)
        unlink(url.path)
    }

    /// Appends `samples`; safe from several threads at once.
    func park(_ samples: [Float]) throws -> Take {
        let offset = end.withLock { end in
            defer { end += samples.count }
            return end
        }
        try samples.withUnsafeBytes {
            guard let base = $0.baseAddress else { return }
            try SpilledBuffer.transfer(fd, UnsafeMutableRawPointer(mutating: base), $0.count, at: offset * 4, write: true)
        }
        return Take(file: self, offset: offset, count: samples.count)
    }
}
