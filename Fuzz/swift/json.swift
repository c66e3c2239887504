import Foundation

// libFuzzer target: application/json bodies (RawSubmission.parseJSON), then the submission's validation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Data(fuzzBytes(data, size))
    guard let fields = try? RawSubmission.parseJSON(body) else { return 0 }
    fuzzValidate(RawSubmission(fields: fields))
    return 0
}
