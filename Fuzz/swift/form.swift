import Foundation

// libFuzzer target: application/x-www-form-urlencoded bodies (RawSubmission.parseURLEncoded) and header parameters
// (RawSubmission.parameter, as for Content-Type and Content-Disposition), then the submission's validation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForm(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let fields = RawSubmission.parseURLEncoded(text)
    for (name, _) in fields { precondition(!name.isEmpty, "an empty field name was kept") }
    if let boundary = RawSubmission.parameter("boundary", in: text) { precondition(!boundary.contains(";")) }
    _ = RawSubmission.parameter("name", in: text)
    fuzzValidate(RawSubmission(fields: fields))
    return 0
}
