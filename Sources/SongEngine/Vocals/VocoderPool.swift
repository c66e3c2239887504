import Foundation
import Synchronization
internal import DSP

/// Singing vocoders lent to one sung take at a time (issue 14). Making a vocoder computes its tables: a cosine and
/// a sine per bin and cepstral order, the taper, the band responses. They are the same for a voice, channel count,
/// output rate and formant shift, and a sung job made them again for every take: `Vocoder.init` was 0.7% of its
/// CPU, with part of libm's cosine (0.6%) besides (stop 35). `cdsp_vocoder_render` keeps nothing in the vocoder from
/// one call to the next (its scratch is written before it is read), so a lent vocoder sings the same samples as a
/// new one.
final class VocoderPool: Sendable {
    struct Key: Hashable, Sendable {
        var voice: Int
        var channels: Int
        var rate: Float
        var formantSemitones: Float
    }

    /// A vocoder while it is idle in the pool or lent: it moves between threads, one at a time, never shared.
    final class Lent: @unchecked Sendable {
        let vocoder: Vocoder
        fileprivate let key: Key
        fileprivate init(_ vocoder: Vocoder, key: Key) {
            self.vocoder = vocoder
            self.key = key
        }
    }

    static let shared = VocoderPool()
    /// Idle vocoders kept a key: as many as takes are sung at once on a machine of this size, with room.
    static let keep = 8

    private let idle = Mutex<[Key: [Lent]]>([:])

    /// An idle vocoder for `key`, or a new one.
    func borrow(_ key: Key, constants: VocoderConstants) throws -> Lent {
        if let lent = idle.withLock({ $0[key]?.popLast() }) { return lent }
        return Lent(try Vocoder(constants: constants, channels: key.channels, outputRate: key.rate,
                                formantSemitones: key.formantSemitones), key: key)
    }

    /// Takes `lent` back; beyond `keep` idle for its key, it is let go.
    func giveBack(_ lent: Lent) {
        idle.withLock { idle in
            if idle[lent.key, default: []].count < Self.keep { idle[lent.key, default: []].append(lent) }
        }
    }
}
