import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole-song stereo buffer parked on disk while the render does not need it, so that memory holds fewer
/// song-length buffers at once (issue 14, docs/speed.md: a sung version's instrumental and vocal stems wait here
/// while the mix is mastered and encoded). The file lives in the render's staging folder, so a failed or cancelled
/// render removes it with everything else; `restore` removes it once the samples are back. Raw native float32, the
/// left channel then the right: read back bit for bit. Write errors are `POSIXError`s (a full disk says ENOSPC).
struct SpilledBuffer: Sendable {
    let url: URL
    let frames: Int
    let sampleRate: Int

    /// Writes `buffer` to `url` (created; an existing file is replaced).
    static func park(_ buffer: StereoBuffer, at url: URL) throws -> SpilledBuffer {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var failure: Int32 = 0
        for channel in [buffer.left, buffer.right] where failure == 0 {
            channel.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    done += n
                }
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        guard failure == 0 else {
            unlink(url.path)
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
        return SpilledBuffer(url: url, frames: buffer.frames, sampleRate: buffer.sampleRate)
    }

    /// The buffer as written; the file is removed.
    func restore() throws -> StereoBuffer {
        defer { unlink(url.path) }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var failure: Int32 = 0
        func channel() -> [Float] {
            var samples = [Float](repeating: 0, count: frames)
            samples.withUnsafeMutableBytes { bytes in
                var done = 0
                while done < bytes.count && failure == 0 {
                    let n = read(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                    } else if n == 0 {
                        failure = EIO  // shorter than written
                    } else {
                        done += n
                    }
                }
            }
            return samples
        }
        let left = channel(), right = channel()
        guard failure == 0 else { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO) }
        return StereoBuffer(left: left, right: right, sampleRate: sampleRate)
    }
}
