import Foundation
import SongEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells a full disk from other write failures. The engine's audio and image writers are C (libsndfile, LAME,
/// stb) and report only "cannot write <file>", without errno, and the engine removes its staging folder before the
/// error reaches us, so the space it had used is free again when we look. Hence two checks:
/// 1. the error itself, or one it wraps, is ENOSPC/EDQUOT (Foundation's writes keep errno: `CocoaError`
///    `.fileWriteOutOfSpace`, `POSIXError`);
/// 2. otherwise, for an error that is not the request's fault, a probe: reserve as many bytes as the render's
///    output (`expectedOutputBytes`) in a hidden file beside the results (`posix_fallocate`, which allocates
///    blocks without writing them); ENOSPC or EDQUOT there means the disk cannot hold the results.
/// The server adds a third (`WorkerService.isDiskFull`): less than `ServerConfiguration.diskFullBytes` free on the
/// data volume when the attempt failed.
enum DiskSpace {
    /// Free space of a folder's volume (nil: unknown).
    @Sendable static func freeBytes(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: url.path),
              let free = attributes[.systemFreeSize] as? NSNumber else { return nil }
        return free.int64Value
    }

    static func isNoSpace(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }

    /// Whether `error` (or an error it wraps) says the disk or the quota is full.
    static func errorSaysFull(_ error: Error) -> Bool {
        if let posix = error as? POSIXError { return isNoSpace(posix.code.rawValue) }
        if let cocoa = error as? CocoaError, cocoa.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, isNoSpace(Int32(truncatingIfNeeded: ns.code)) { return true }
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error, !(underlying as NSError === ns) {
            return errorSaysFull(underlying)
        }
        return false
    }

    /// Tries to reserve `bytes` in `directory` and gives them back. Returns the errno when the reservation failed for
    /// want of space or quota, nil when it succeeded (or failed for another reason).
    static func probe(directory: URL, bytes: Int64) -> Int32? {
        let path = directory.appendingPathComponent(".space-probe-\(UUID().uuidString.prefix(8))").path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            let e = errno
            return isNoSpace(e) ? e : nil
        }
        defer {
            close(fd)
            unlink(path)
        }
        #if os(Linux)
        let r = posix_fallocate(fd, 0, off_t(max(1, bytes)))
        return isNoSpace(r) ? r : nil
        #else
        return nil
        #endif
    }

    /// Whether a render that failed with `error` met a full disk: the error says so, or (for an error that is not the
    /// request's) the results folder cannot take `expectedBytes` more.
    static func renderMetFullDisk(_ error: Error, resultsDirectory: URL, expectedBytes: Int64) -> Bool {
        if errorSaysFull(error) { return true }
        if error is RequestError || error is CancellationError { return false }
        return probe(directory: resultsDirectory, bytes: expectedBytes) != nil
    }

    /// Bytes a render's results take, from the request and the song's length (an estimate on the high side):
    /// per version, 16-bit 44.1 kHz stereo WAV is 176,400 B/s; FLAC about 0.7 of that; MP3 and Ogg about 40 and
    /// 32 kB/s; plus the stems (one WAV, two when sung with accompaniment); plus the preview stream (one WAV) and the
    /// buffers parked in the staging folder while it renders (float, five when sung with accompaniment, else one;
    /// and the sung takes);
    /// plus 4 MiB for cover, MIDI, lyrics, manifest.
    static func expectedOutputBytes(_ request: TaskRequest, audioSeconds: Double) -> Int64 {
        let wav = 176_400.0
        var perSecond = 0.0
        for format in request.formats {
            switch format {
            case .wav: perSecond += wav
            case .flac: perSecond += wav * 0.7
            case .mp3: perSecond += 40_000
            case .ogg: perSecond += 32_000
            }
        }
        let sungWithMusic = request.song.wantsVocals && !request.vocalOnly
        perSecond += wav * (sungWithMusic ? 2 : 1)
        // Buffers parked in the staging folder while a version renders, 32-bit float stereo (docs/speed.md): the
        // sung stem, the ducked accompaniment, the two stems and the mix of a sung song; the mix otherwise.
        perSecond += 2 * wav * (sungWithMusic ? 5 : 1)
        // The sung takes parked until the vocal chain mixes them (TakeFile): 32-bit float mono, a chorus line sung
        // twice (the double), so at most two seconds of take per second of song.
        if request.song.wantsVocals { perSecond += 2 * wav }
        // The preview stream (PreviewFiles): 16-bit stereo WAV per version, kept for a while after the render.
        perSecond += wav
        return Int64(perSecond * max(1, audioSeconds) * Double(max(1, request.versions))) + (4 << 20)
    }
}
