// GET / : the Endpoint Explorer, one self-contained page (HTML, CSS and a little JavaScript, no build step).
// It talks to the public API exactly as a client would (multipart image_to_song, byId polling, getAllVoices),
// so what works on the page works for a client.

import Hummingbird

public enum Explorer {
    /// The page's bytes, built once.
    static let page = ByteBuffer(string: explorerHTML)

    /// The headers of the page: HTML, revalidated on every load, and a policy that lets the inline script run
    /// but only talk to this server (audio and images may come from the configured public base URL).
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-cache",
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' http: https: data: blob:; media-src 'self' http: https: blob:; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        .init("X-Content-Type-Options")!: "nosniff",
    ]

    /// Adds `GET /` (and `GET /explorer`) to a router. No authentication: the page holds no data; the API key is
    /// typed into the page and sent by the browser with each API call.
    public static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let handler: @Sendable (Request, Context) async throws -> Response = { _, _ in
            Response(status: .ok, headers: headers, body: .init(byteBuffer: page))
        }
        router.get("/", use: handler)
        router.get("/explorer", use: handler)
    }
}

/// `explorerRoutes(router:)`: the same as `Explorer.addRoutes(to:)`, under the name the integration notes use.
public func explorerRoutes<Context: RequestContext>(router: Router<Context>) {
    Explorer.addRoutes(to: router)
}
