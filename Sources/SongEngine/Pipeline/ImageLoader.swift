import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
internal import CDSP

/// Turns an `ImageSource` into checked bytes and then pixels. Untrusted bytes meet the size limit before they are
/// read whole and the pixel limit before they are decoded.
public enum ImageLoader {
    /// Contract §1: at most 20 MiB.
    public static let maxBytes = 20 * 1024 * 1024
    /// Contract §1: at most 40 megapixels.
    public static let maxPixels: UInt64 = 40_000_000
    /// Contract §1: image_url is fetched with a 10 s timeout.
    public static let fetchTimeout: TimeInterval = 10

    /// The bytes of the image, size-checked. The field named in errors is `image_file` or `image_url`.
    public static func bytes(of source: ImageSource) async throws(RequestError) -> Data {
        switch source {
        case .bytes(let data):
            try checkSize(data.count, field: "image_file")
            return data
        case .file(let path):
            return try readFile(path)
        case .url(let text):
            return try await fetch(text)
        }
    }

    static func readFile(_ path: String) throws(RequestError) -> Data {
        let field = "image_file"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RequestError(field: field, message: "no file at \(path)")
        }
        if isDirectory.boolValue { throw RequestError(field: field, message: "\(path) is a directory, not an image file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        try checkSize(size, field: field)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RequestError(field: field, message: "\(path) cannot be read")
        }
        try checkSize(data.count, field: field)
        return data
    }

    static func checkSize(_ count: Int, field: String) throws(RequestError) {
        if count == 0 { throw RequestError(field: field, message: "the image is empty (0 bytes)") }
        if count > maxBytes {
            throw RequestError(field: field, message: "the image is \(count) bytes; the limit is 20 MiB (\(maxBytes) bytes)",
                               kind: .tooLarge)
        }
    }

    /// Fetches an http(s) URL with the timeout and the size limit enforced while the body streams in.
    static func fetch(_ text: String) async throws(RequestError) -> Data {
        let field = "image_url"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw RequestError(field: field, message: "must be an http(s) URL")
        }
        let fetcher = LimitedFetcher(limit: maxBytes)
        let result = await fetcher.fetch(url, timeout: fetchTimeout)
        switch result {
        case .success(let data):
            try checkSize(data.count, field: field)
            return data
        case .failure(let error):
            throw error
        }
    }

    /// Decodes checked bytes to RGBA. Errors name `field` and say what is wrong with the image.
    public static func decode(_ data: Data, field: String = "image_file") throws(RequestError) -> RGBAImage {
        try checkSize(data.count, field: field)
        if data.starts(with: [0x49, 0x49, 0x2A, 0x00]) || data.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            throw RequestError(field: field, message: "TIFF images are not supported; send JPEG, PNG, GIF, BMP or WEBP")
        }
        var format = CDSP_IMAGE_UNKNOWN
        var width: Int32 = 0
        var height: Int32 = 0
        let probe = data.withUnsafeBytes { raw in
            cdsp_image_probe(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &format, &width, &height)
        }
        let formatName = Self.formatName(format)
        switch probe {
        case CDSP_OK: break
        case CDSP_ERR_FORMAT:
            throw RequestError(field: field, message: "not a supported image (send JPEG, PNG, GIF, BMP or WEBP)")
        default:
            throw RequestError(field: field, message: "the \(formatName) header is corrupt or truncated")
        }
        let pixels = UInt64(width) * UInt64(height)
        if pixels > maxPixels {
            throw RequestError(field: field,
                               message: "\(width)x\(height) is \(pixels / 1_000_000) megapixels; the limit is 40 megapixels")
        }
        var rgba: UnsafeMutablePointer<UInt8>?
        let status = data.withUnsafeBytes { raw in
            cdsp_image_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, maxPixels, &rgba, &width, &height,
                              &format)
        }
        guard status == CDSP_OK, let rgba else {
            switch status {
            case CDSP_ERR_TOO_LARGE:
                throw RequestError(field: field, message: "\(width)x\(height) exceeds the limit of 40 megapixels")
            case CDSP_ERR_FORMAT where format == CDSP_IMAGE_BMP:
                throw RequestError(
                    field: field, message: "compressed BMP (RLE, JPEG or PNG inside) is not supported: send an uncompressed BMP")
            case CDSP_ERR_FORMAT:
                throw RequestError(field: field, message: "not a supported image (send JPEG, PNG, GIF, BMP or WEBP)")
            default:
                throw RequestError(field: field, message: "the \(formatName) data is corrupt or truncated")
            }
        }
        defer { cdsp_image_free(rgba) }
        let count = Int(width) * Int(height) * 4
        let pixelsArray = [UInt8](UnsafeBufferPointer(start: rgba, count: count))
        return RGBAImage(width: Int(width), height: Int(height), pixels: pixelsArray)
    }

    static func formatName(_ format: cdsp_image_format) -> String {
        switch format {
        case CDSP_IMAGE_JPEG: "JPEG"
        case CDSP_IMAGE_PNG: "PNG"
        case CDSP_IMAGE_GIF: "GIF"
        case CDSP_IMAGE_BMP: "BMP"
        case CDSP_IMAGE_WEBP: "WEBP"
        default: "image"
        }
    }
}

/// A URLSession download that stops as soon as the body exceeds the limit (no buffering past it), with a timeout.
final class LimitedFetcher: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let limit: Int
    private struct State {
        var received = Data()
        var failure: RequestError?
        var continuation: CheckedContinuation<Result<Data, RequestError>, Never>?
    }
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    func fetch(_ url: URL, timeout: TimeInterval) async -> Result<Data, RequestError> {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return await withCheckedContinuation { continuation in
            state.withLock { $0.continuation = continuation }
            session.dataTask(with: url).resume()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            state.withLock { $0.failure = RequestError(field: "image_url", message: "the server answered HTTP \(http.statusCode)") }
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength > Int64(limit) {
            state.withLock {
                $0.failure = RequestError(field: "image_url", message: "the image is larger than the limit of 20 MiB",
                                       kind: .tooLarge)
            }
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = state.withLock { state -> Bool in
            state.received.append(data)
            if state.received.count > limit {
                state.failure = RequestError(field: "image_url", message: "the image is larger than the limit of 20 MiB",
                                       kind: .tooLarge)
                return true
            }
            return false
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let (continuation, result): (CheckedContinuation<Result<Data, RequestError>, Never>?, Result<Data, RequestError>) =
            state.withLock { state in
                let c = state.continuation
                state.continuation = nil
                if let failure = state.failure { return (c, .failure(failure)) }
                if let error {
                    let text = (error as NSError).code == NSURLErrorTimedOut
                        ? "timed out after 10 s" : "could not be fetched (\(error.localizedDescription))"
                    return (c, .failure(RequestError(field: "image_url", message: text)))
                }
                return (c, .success(state.received))
            }
        continuation?.resume(returning: result)
    }
}
