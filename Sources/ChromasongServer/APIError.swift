import Foundation
import Hummingbird
import SongEngine

/// One field's complaint in an error body.
public struct FieldProblem: Codable, Sendable, Hashable {
    public var field: String
    public var message: String
}

/// Every error the API answers with, as the contract's body (§4):
/// `{"success": false, "error": "<one clear sentence>", "detail": [{"field": ..., "message": ...}]}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var error: String
    public var detail: [FieldProblem]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ error: String, detail: [FieldProblem] = []) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    /// 422 (or 413 for a size rule) from the engine's validation errors; the sentence names the first.
    public init(_ problems: [RequestError]) {
        let tooLarge = problems.contains { $0.kind == .tooLarge }
        self.init(tooLarge ? .contentTooLarge : .unprocessableContent, Self.sentence(problems.first!),
                  detail: problems.map { FieldProblem(field: $0.field, message: $0.message) })
    }

    static func sentence(_ e: RequestError) -> String {
        let text = "\(e.field): \(e.message)"
        return text.hasSuffix(".") ? text : text + "."
    }

    struct Body: Encodable {
        var success = false
        var error: String
        var detail: [FieldProblem]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Body(error: error, detail: detail))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error thrown below it into the contract's error body: nothing leaks a stack trace, and even
/// Hummingbird's own 404/413 answers get the same shape.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, Self.message(for: error.status, error.body))
        } catch let error as RequestError {
            throw APIError([error])
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "The server failed to handle the request.")
        }
    }

    static func message(for status: HTTPResponse.Status, _ body: String?) -> String {
        switch status {
        case .notFound: "No such endpoint or resource."
        case .contentTooLarge: "The request body is too large."
        case .methodNotAllowed: "Method not allowed on this endpoint."
        default: body.map { $0.hasSuffix(".") ? $0 : $0 + "." } ?? "\(status.reasonPhrase)."
        }
    }
}

/// Writes an Encodable as JSON with the right content type.
struct JSONResponse<T: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var value: T

    init(_ value: T, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
