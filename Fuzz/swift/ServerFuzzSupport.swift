import Dispatch
import Foundation
import SongEngine

// Shared by the server's fuzz targets (form, json, multipart), compiled by scripts/fuzz-swift.sh into one module
// with the server's own sources (Sources/ChromasongServer), so the targets call the real internal parsers.

/// The engine, for the validation that follows parsing (presets from CHROMASONG_PRESETS or the checkout).
let fuzzEngine: ChromasongEngine = {
    do { return try ChromasongEngine() } catch { fatalError("fuzz: presets failed to load: \(error)") }
}()

/// Parsed fields go through the same validation as a real submission; a refusal is an answer, only a crash fails.
func fuzzValidate(_ raw: RawSubmission) {
    do { _ = try raw.validate(engine: fuzzEngine) } catch {
        for problem in error.detail { precondition(!problem.field.isEmpty, "a problem naming no field") }
    }
}

/// Runs an async body to completion from libFuzzer's synchronous callback.
func fuzzBlocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
