import Foundation
import Hummingbird
import SongEngine

/// The fields of one `image_to_song` request as text, plus the uploaded image, before validation.
struct RawSubmission: Sendable {
    var fields: [String: String] = [:]
    var image: Data?

    /// Largest text field kept; longer values are still reported with their real rule (e.g. prompt <= 300).
    static let textFieldLimit = 64 * 1024
    /// Largest non-multipart body (form-urlencoded or JSON: no image bytes in it).
    static let smallBodyLimit = 1024 * 1024
    /// Room for the text fields and multipart framing beside a maximal image.
    static let multipartOverhead = 1024 * 1024

    /// Reads the body by content type: multipart (streamed, limits enforced as bytes arrive), form-urlencoded or
    /// JSON. Throws 400 for a malformed body, 413 when too large, 415 for any other content type.
    static func read(_ request: Request, imageLimit: Int = ImageLoader.maxBytes) async throws -> RawSubmission {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        switch mediaType {
        case "multipart/form-data":
            guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
                throw APIError(.badRequest, "The multipart/form-data body has no boundary parameter.")
            }
            // A declared length over the limit is refused before a byte of the body is read.
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > imageLimit + multipartOverhead {
                throw APIError([RequestError(
                    field: "image_file",
                    message: "the request body is \(length) bytes; images may be at most 20 MiB (\(imageLimit) bytes)",
                    kind: .tooLarge)])
            }
            return try await readMultipart(request.body, boundary: boundary, imageLimit: imageLimit)
        case "application/x-www-form-urlencoded":
            let data = try await collect(request.body, limit: smallBodyLimit)
            return RawSubmission(fields: parseURLEncoded(String(decoding: data, as: UTF8.self)))
        case "application/json":
            let data = try await collect(request.body, limit: smallBodyLimit)
            return RawSubmission(fields: try parseJSON(data))
        case "":
            throw APIError(.unsupportedMediaType,
                           "A Content-Type is required: multipart/form-data, application/x-www-form-urlencoded or application/json.")
        default:
            throw APIError(.unsupportedMediaType,
                           "Content-Type \(mediaType) is not supported; send multipart/form-data, application/x-www-form-urlencoded or application/json.")
        }
    }

    static func collect(_ body: RequestBody, limit: Int) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            if data.count + chunk.readableBytes > limit {
                throw APIError(.contentTooLarge, "The request body is larger than \(limit) bytes.")
            }
            chunk.withUnsafeReadableBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Reads and drops a body (nothing parsed or kept), up to `limit` bytes; a longer body ends with a throw, which
    /// closes the connection.
    static func discard(_ body: RequestBody, limit: Int) async throws {
        var total = 0
        for try await chunk in body {
            total += chunk.readableBytes
            if total > limit { throw APIError(.contentTooLarge, "The request body is larger than \(limit) bytes.") }
        }
    }

    /// Streams a multipart body through `MultipartStream`: the image part is refused with 413 the moment it passes
    /// `imageLimit`, the whole body at `imageLimit + multipartOverhead`, more than 32 parts with 413, a body cut before
    /// its closing boundary or with malformed part headers with 400, so no oversized upload is held and no field is
    /// silently dropped.
    static func readMultipart(_ body: RequestBody, boundary: String, imageLimit: Int) async throws -> RawSubmission {
        final class State {
            var result = RawSubmission()
            var headers: [String: String] = [:]
            var current = Data()
            var overflow: APIError?
        }
        let state = State()
        let parser = MultipartStream(boundary: boundary)
        parser.onHeader = { name, value in state.headers[name.lowercased()] = value }
        parser.onBody = { buffer in
            guard state.overflow == nil else { return }
            let name = parameter("name", in: state.headers["content-disposition"] ?? "") ?? ""
            let limit = name == "image_file" ? imageLimit : textFieldLimit
            if state.current.count + buffer.readableBytes > limit {
                state.overflow = name == "image_file"
                    ? APIError([RequestError(field: "image_file",
                                             message: "the image is larger than the limit of 20 MiB (\(imageLimit) bytes)",
                                             kind: .tooLarge)])
                    : APIError([RequestError(field: name, message: "the field is larger than \(limit) bytes",
                                             kind: .tooLarge)])
                return
            }
            // One copy of the contiguous bytes (appending the view as a sequence went byte by byte).
            buffer.withUnsafeReadableBytes { state.current.append(contentsOf: $0) }
        }
        parser.onPartComplete = {
            let disposition = state.headers["content-disposition"] ?? ""
            if let name = parameter("name", in: disposition) {
                if name == "image_file" {
                    // A form whose file input was left empty sends an empty part: that is "no file".
                    if !state.current.isEmpty { state.result.image = state.current }
                } else {
                    state.result.fields[name] = String(decoding: state.current, as: UTF8.self)
                }
            }
            state.headers = [:]
            state.current = Data()
        }
        var total = 0
        let totalLimit = imageLimit + multipartOverhead
        for try await chunk in body {
            total += chunk.readableBytes
            if total > totalLimit {
                throw APIError([RequestError(field: "image_file",
                                             message: "the request body is larger than \(totalLimit) bytes (images: at most 20 MiB)",
                                             kind: .tooLarge)])
            }
            do {
                try parser.execute(chunk)
            } catch {
                throw multipartError(error)
            }
            if let overflow = state.overflow { throw overflow }
        }
        do {
            try parser.finish()
        } catch {
            throw multipartError(error)
        }
        if let overflow = state.overflow { throw overflow }
        return state.result
    }

    static func multipartError(_ error: MultipartStream.Failure) -> APIError {
        switch error {
        case .tooManyParts(let limit):
            return APIError(.contentTooLarge, "The multipart/form-data body has more than \(limit) parts.")
        case .truncated:
            return APIError(.badRequest, "The multipart/form-data body ends before its closing boundary (cut short?).")
        case .malformed(let what):
            return APIError(.badRequest, "The multipart/form-data body is malformed: \(what).")
        }
    }

    /// `name="value"` or `name=value` inside a header value such as Content-Type or Content-Disposition.
    static func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func parseURLEncoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let plus = s.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            let name = decode(kv[0])
            if name.isEmpty { continue }
            fields[name] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return fields
    }

    /// A JSON object whose values are strings, numbers, booleans or null (null = absent).
    static func parseJSON(_ data: Data) throws -> [String: String] {
        enum Value: Decodable {
            case text(String), other(String), null
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if c.decodeNil() { self = .null }
                else if let b = try? c.decode(Bool.self) { self = .other(b ? "true" : "false") }
                else if let i = try? c.decode(Int64.self) { self = .other(String(i)) }
                else if let u = try? c.decode(UInt64.self) { self = .other(String(u)) }
                else if let d = try? c.decode(Double.self) { self = .other(String(d)) }
                else if let s = try? c.decode(String.self) { self = .text(s) }
                else { self = .other("[unsupported value]") }
            }
        }
        let object: [String: Value]
        do {
            object = try JSONDecoder().decode([String: Value].self, from: data)
        } catch {
            throw APIError(.badRequest, "The JSON body is malformed or not an object.")
        }
        var fields: [String: String] = [:]
        for (k, v) in object {
            switch v {
            case .text(let s), .other(let s): fields[k] = s
            case .null: break
            }
        }
        return fields
    }
}

/// A submission that passed every rule of §1 and §6 that can be checked before the image is fetched.
struct ValidatedSubmission: Sendable {
    var request: SongRequest
    var imageURL: String?
    var webhookURL: String?
}

extension RawSubmission {
    /// Parses every field, collecting each field's problem; then the engine's cross-field rules (first one).
    func validate(engine: ChromasongEngine) throws(APIError) -> ValidatedSubmission {
        var problems: [RequestError] = []
        func text(_ name: String) -> String { fields[name] ?? "" }
        func bool(_ name: String) -> Bool {
            do { return try SongRequest.parseBool(text(name), field: name) } catch { problems.append(error); return false }
        }
        func optional<T>(_ name: String, _ rule: String, _ parse: (String) -> T?) -> T? {
            let raw = text(name).trimmingCharacters(in: .whitespaces)
            if raw.isEmpty { return nil }
            guard let v = parse(raw) else {
                problems.append(RequestError(field: name, message: "\(rule), got \"\(raw.prefix(40))\""))
                return nil
            }
            return v
        }
        let imageURL = text("image_url").trimmingCharacters(in: .whitespaces)
        switch (image != nil, !imageURL.isEmpty) {
        case (false, false):
            problems.append(RequestError(field: "image_file", message: "exactly one of image_file or image_url is required, got neither"))
        case (true, true):
            problems.append(RequestError(field: "image_url", message: "exactly one of image_file or image_url is allowed, got both"))
        default: break
        }
        let makeInstrumental = bool("make_instrumental")
        let vocalOnly = bool("vocal_only")
        let bpm = optional("bpm", "must be an integer, 0 (automatic) or 40...240") { Int($0) } ?? 0
        let seed = optional("seed", "must be an unsigned 64-bit integer") { UInt64($0) }
        let duration = optional("duration", "must be a number of seconds, 10...600") { Double($0) }
        let versions = optional("versions", "must be an integer 1...4") { Int($0) } ?? 2
        var formats: [AudioFormat] = [.mp3, .wav]
        if !text("formats").trimmingCharacters(in: .whitespaces).isEmpty {
            do { formats = try SongRequest.parseFormats(text("formats")) } catch { problems.append(error) }
        }
        let webhook = text("webhook_url").trimmingCharacters(in: .whitespaces)
        do { try TextLimit.webhookURL.check(webhook) } catch { problems.append(error) }
        if !webhook.isEmpty {
            if let u = URL(string: webhook), let s = u.scheme?.lowercased(), s == "http" || s == "https", u.host != nil {
            } else {
                problems.append(RequestError(field: "webhook_url", message: "must be an http(s) URL, got \"\(webhook.prefix(80))\""))
            }
        }
        if !problems.isEmpty { throw APIError(problems) }
        let request = SongRequest(
            image: imageURL.isEmpty ? .bytes(image ?? Data()) : .url(imageURL), prompt: text("prompt"),
            lyrics: text("lyrics"), negativeTags: text("negative_tags"), makeInstrumental: makeInstrumental,
            vocalOnly: vocalOnly, key: text("key").trimmingCharacters(in: .whitespaces), bpm: bpm,
            voiceId: text("voice_id").trimmingCharacters(in: .whitespaces), seed: seed, duration: duration,
            versions: versions, formats: formats)
        do { try engine.validate(request) } catch { throw APIError([error]) }
        return ValidatedSubmission(request: request, imageURL: imageURL.isEmpty ? nil : imageURL,
                                   webhookURL: webhook.isEmpty ? nil : webhook)
    }
}
