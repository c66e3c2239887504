/// The OpenAPI 3.1 document of the API this server speaks, served at /openapi.json and /api/public/v1/openapi.json.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Chromasong image_to_song API",
    "version": "1.0.0",
    "description": "Offline, self-hosted image-to-song service compatible with the hosted image_to_song API. Send the key as `Authorization: <key>` or `Authorization: Bearer <key>` when the server has keys configured."
  },
  "servers": [{"url": "/"}],
  "components": {
    "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}},
    "schemas": {
      "Error": {
        "type": "object", "required": ["success", "error", "detail"],
        "properties": {
          "success": {"type": "boolean", "const": false},
          "error": {"type": "string"},
          "detail": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
        }
      },
      "SongRequest": {
        "type": "object",
        "properties": {
          "image_file": {"type": "string", "format": "binary", "description": "JPEG, PNG, GIF, BMP or WEBP; at most 20 MiB and 40 megapixels. Exactly one of image_file and image_url."},
          "image_url": {"type": "string", "description": "http(s) URL of the image, fetched with a 10 s timeout and the same limits."},
          "prompt": {"type": "string", "maxLength": 300},
          "lyrics": {"type": "string", "maxLength": 3000},
          "negative_tags": {"type": "string", "maxLength": 300},
          "make_instrumental": {"type": "string", "description": "Boolean: true/false/1/0/yes/no; default false.", "default": "false"},
          "vocal_only": {"type": "string", "description": "Boolean; not together with make_instrumental or voice_id.", "default": "false"},
          "key": {"type": "string", "description": "e.g. \"C major\", \"A minor\", \"F# minor\", \"Bb major\", \"c#m\"; empty = from the image."},
          "bpm": {"type": "integer", "description": "0 = from the image; else 40...240.", "default": 0},
          "webhook_url": {"type": "string", "description": "http(s) URL that receives the result webhooks."},
          "voice_id": {"type": "string", "description": "An id from getAllVoices."},
          "seed": {"type": "integer", "minimum": 0, "description": "Reproducible output (unsigned 64-bit)."},
          "duration": {"type": "number", "minimum": 10, "maximum": 600},
          "versions": {"type": "integer", "minimum": 1, "maximum": 4, "default": 2},
          "formats": {"type": "string", "description": "Subset of mp3,wav,flac,ogg.", "default": "mp3,wav"}
        }
      },
      "Accepted": {
        "type": "object", "required": ["success", "message", "task_id", "conversion_id_1", "eta", "credit_estimate"],
        "properties": {
          "success": {"type": "boolean"}, "message": {"type": "string"}, "task_id": {"type": "string"},
          "conversion_id_1": {"type": "string"}, "conversion_id_2": {"type": "string"},
          "eta": {"type": "integer", "description": "Seconds, from the queue length and the measured render speed."},
          "credit_estimate": {"type": "integer"}
        }
      },
      "Conversion": {
        "type": "object",
        "properties": {
          "task_id": {"type": "string"}, "conversion_id_1": {"type": "string"}, "conversion_id_2": {"type": "string"},
          "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED"]},
          "status_msg": {"type": "string"}, "title": {"type": ["string", "null"]},
          "music_style": {"type": ["string", "null"]}, "key": {"type": ["string", "null"]}, "bpm": {"type": ["integer", "null"]},
          "conversion_path_1": {"type": ["string", "null"]}, "conversion_path_2": {"type": ["string", "null"]},
          "conversion_path_wav_1": {"type": ["string", "null"]}, "conversion_path_wav_2": {"type": ["string", "null"]},
          "conversion_duration_1": {"type": ["number", "null"]}, "conversion_duration_2": {"type": ["number", "null"]},
          "lyrics_1": {"type": ["string", "null"]}, "lyrics_2": {"type": ["string", "null"]},
          "lyrics_timestamped_1": {"type": ["string", "null"], "description": "JSON string of the line array."},
          "lyrics_timestamped_2": {"type": ["string", "null"]},
          "album_cover_path": {"type": ["string", "null"]}, "album_cover_thumbnail": {"type": ["string", "null"]},
          "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
          "storage": {"type": "object", "description": "Extension: disk use and retention of the task's files.",
            "properties": {"upload_bytes": {"type": ["integer", "null"]}, "result_bytes": {"type": ["integer", "null"]},
              "files_expired": {"type": "boolean", "description": "The upload and results were deleted after the retention period; the paths are then null."},
              "files_expire_at": {"type": ["string", "null"], "format": "date-time"}}}
        }
      },
      "Voices": {
        "type": "object",
        "properties": {
          "success": {"type": "boolean"},
          "voices": {"type": "array", "items": {"type": "object", "properties": {"voice_id": {"type": "string"}, "voice_name": {"type": "string"}}}},
          "limit": {"type": "integer"}, "page": {"type": "integer"}, "total": {"type": "integer"}
        }
      }
    },
    "responses": {
      "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "headers": {
      "RateLimit-Policy": {"description": "draft-ietf-httpapi-ratelimit-headers: the key's policy, e.g. \"submit\";q=10;w=60 (sent when the server has API keys).", "schema": {"type": "string"}},
      "RateLimit": {"description": "draft-ietf-httpapi-ratelimit-headers: requests left and seconds until the bucket is full, e.g. \"submit\";r=3;t=42.", "schema": {"type": "string"}},
      "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
    },
    "parameters": {
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
      "page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 0}}
    }
  },
  "security": [{"apiKey": []}],
  "paths": {
    "/api/public/v1/image_to_song": {
      "post": {
        "operationId": "imageToSong", "summary": "Queue a song made from an image.",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 255},
          "description": "The same key with the same request within 24 h answers with the original task (header Idempotent-Replayed: true); with another request, 422."}],
        "requestBody": {"required": true, "content": {
          "multipart/form-data": {"schema": {"$ref": "#/components/schemas/SongRequest"}},
          "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/SongRequest"}},
          "application/json": {"schema": {"$ref": "#/components/schemas/SongRequest"}}
        }},
        "responses": {
          "200": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
            "headers": {"RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"}, "RateLimit": {"$ref": "#/components/headers/RateLimit"}}},
          "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"description": "The key's submission rate limit, or the queue is full", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}, "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"}, "RateLimit": {"$ref": "#/components/headers/RateLimit"}}}
        }
      }
    },
    "/api/public/v1/byId": {
      "get": {
        "operationId": "byId", "summary": "A task's status and results.",
        "parameters": [
          {"name": "conversionType", "in": "query", "schema": {"type": "string", "enum": ["IMAGE_TO_SONG"]}},
          {"name": "task_id", "in": "query", "schema": {"type": "string"}},
          {"name": "conversion_id", "in": "query", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "The task", "content": {"application/json": {"schema": {"type": "object",
            "properties": {"success": {"type": "boolean"}, "conversion": {"$ref": "#/components/schemas/Conversion"}}}}}},
          "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error", "description": "Unknown id, or another key's task"},
          "422": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/public/v1/stream": {
      "get": {
        "operationId": "stream", "summary": "A conversion's audio while it renders: chunked WAV (16-bit stereo, the header gives the exact length) through a provisional master; an audio element plays it from the first bytes.",
        "parameters": [{"name": "conversion_id", "in": "query", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {"description": "The stream (Cache-Control: no-store); cut short without the closing chunk if the render stops", "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}},
          "307": {"description": "COMPLETED and the stream file removed: the delivered audio's URL in Location"},
          "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error", "description": "Unknown id, or another key's task"},
          "409": {"$ref": "#/components/responses/Error", "description": "The conversion FAILED"},
          "410": {"$ref": "#/components/responses/Error", "description": "The results were deleted by the retention policy"},
          "422": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error", "description": "Not started rendering within 30 s (Retry-After)"}
        }
      }
    },
    "/api/public/v1/getAllVoices": {
      "get": {
        "operationId": "getAllVoices", "summary": "The voice catalog, a page at a time.",
        "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/page"}],
        "responses": {"200": {"description": "Voices", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Voices"}}}},
          "401": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/api/public/v1/searchVoices": {
      "get": {
        "operationId": "searchVoices", "summary": "Voices whose id, name or description holds every word of the query.",
        "parameters": [{"name": "query", "in": "query", "schema": {"type": "string", "maxLength": 100}},
          {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/page"}],
        "responses": {"200": {"description": "Voices", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Voices"}}}},
          "401": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/files/{task_id}/{path}": {
      "get": {
        "operationId": "resultFile", "summary": "A result file (audio, MIDI, cover, manifest) through the signed URL byId or a webhook gave; honours Range.", "security": [],
        "parameters": [{"name": "task_id", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "path", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "expires", "in": "query", "required": true, "schema": {"type": "integer"}, "description": "Unix time the URL expires."},
          {"name": "sig", "in": "query", "required": true, "schema": {"type": "string"}, "description": "base64url HMAC-SHA256 of \"<task_id>/<path>\\n<expires>\" under the server's secret."},
          {"name": "Range", "in": "header", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The file"}, "206": {"description": "Part of the file"},
          "403": {"$ref": "#/components/responses/Error", "description": "Missing, altered or expired signature"},
          "404": {"$ref": "#/components/responses/Error"}, "416": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/health": {
      "get": {"operationId": "health", "summary": "Liveness and queue size (queued, running, and receiving: submissions whose bodies are being read).", "security": [],
        "responses": {"200": {"description": "Healthy"}}}
    }
  }
}
"""#
}
