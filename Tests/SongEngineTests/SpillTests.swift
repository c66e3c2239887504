import Foundation
import Testing
@testable import SongEngine

/// `SpilledBuffer`: a parked stem comes back bit for bit (NaN payloads, denormals and signed zeros included) and its
/// file is gone afterwards; a folder that cannot take it gives a POSIX error (a full disk: ENOSPC).
@Suite struct SpillTests {
    @Test func parkedBufferComesBackBitForBitAndItsFileIsRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let frames = 100_003
        var left = (0..<frames).map { Float(sin(Double($0) * 0.01)) }
        var right = (0..<frames).map { -Float.leastNormalMagnitude / 4 * Float($0 % 7) }  // denormals and -0
        left[5] = Float(nan: 0x1234, signaling: false)
        right[6] = .infinity
        let buffer = StereoBuffer(left: left, right: right, sampleRate: 48000)
        let url = folder.appendingPathComponent(".instrumental.f32")
        let parked = try SpilledBuffer.park(buffer, at: url)
        #expect(FileManager.default.fileExists(atPath: url.path))
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int == frames * 8)
        let back = try parked.restore()
        #expect(back.sampleRate == 48000 && back.frames == frames)
        #expect(back.left.elementsEqual(left) { $0.bitPattern == $1.bitPattern })
        #expect(back.right.elementsEqual(right) { $0.bitPattern == $1.bitPattern })
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(throws: POSIXError.self) { try parked.restore() }  // once only
    }

    @Test func parkingWhereNoFileCanBeMadeIsAPOSIXError() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/.vocals.f32")
        #expect(throws: POSIXError.self) {
            try SpilledBuffer.park(StereoBuffer(frames: 10, sampleRate: 44100), at: url)
        }
    }
}
