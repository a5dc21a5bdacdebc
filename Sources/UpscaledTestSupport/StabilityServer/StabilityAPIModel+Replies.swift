import Foundation
import MultipartKit
import NIOCore
import Synchronization
import UpscaledEngines

/// The pieces every route of the stand-in API builds its answer from: the multipart form, the
/// scripted behaviour, image and error replies in both of the API's error shapes.
extension StabilityAPIModel {
    struct Form {
        var fields: [String: String] = [:]
        var image: [UInt8]?
        var imageContentType: String?
    }

    func parseForm(headers: [String: String], body: [UInt8], record: inout RecordedRequest) -> Form? {
        guard let type = headers["content-type"], type.hasPrefix("multipart/form-data"),
              let range = type.range(of: "boundary=") else { return nil }
        let boundary = String(type[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let parser = MultipartParser(boundary: boundary)
        var parts: [(headers: [String: String], body: [UInt8])] = []
        var currentHeaders: [String: String] = [:]
        var currentBody: [UInt8] = []
        parser.onHeader = { name, value in currentHeaders[name.lowercased()] = value }
        parser.onBody = { buffer in currentBody += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            parts.append((currentHeaders, currentBody))
            currentHeaders = [:]
            currentBody = []
        }
        do { try parser.execute(body) } catch { return nil }
        var form = Form()
        for part in parts {
            guard let disposition = part.headers["content-disposition"],
                  let nameRange = disposition.range(of: "name=\"") else { continue }
            let rest = disposition[nameRange.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { continue }
            let name = String(rest[..<end])
            if name == "image" {
                form.image = part.body
                form.imageContentType = part.headers["content-type"]
            } else {
                form.fields[name] = String(decoding: part.body, as: UTF8.self)
            }
        }
        record.fields = form.fields
        record.imageBytes = form.image?.count ?? 0
        record.imageContentType = form.imageContentType
        return form
    }

    func nextBehaviour() -> StabilityTestServer.Behaviour {
        state.withLock { s in s.script.isEmpty ? .success : s.script.removeFirst() }
    }

    func behaviourDelay(_ behaviour: StabilityTestServer.Behaviour) -> Double {
        let base = state.withLock { $0.responseDelay }
        if case .slow(let seconds) = behaviour { return base + seconds }
        return base
    }

    func suffix(_ format: String) -> String {
        switch format {
        case "jpeg": ".jpg[Q=90]"
        case "webp": ".webp[Q=90]"
        default: ".png"
        }
    }

    func imageReply(_ bytes: [UInt8], contentType: String, filtered: Bool, asJSON: Bool, v1: Bool, delay: Double) -> Reply {
        let reason = filtered ? "CONTENT_FILTERED" : "SUCCESS"
        let requestID = String(format: "%016llx%016llx", UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))
        if asJSON {
            let base64 = Data(bytes).base64EncodedString()
            let object: [String: Any] = v1
                ? ["artifacts": [["base64": base64, "finishReason": reason, "seed": 1234]]]
                : ["image": base64, "finish_reason": reason, "seed": 1234]
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
            return .response(status: 200, headers: [("Content-Type", v1 ? "application/json" : "application/json; type=\(contentType)"),
                                                    ("x-request-id", requestID)], body: Array(data), delay: delay)
        }
        return .response(status: 200, headers: [("Content-Type", contentType), ("finish-reason", reason), ("seed", "1234"),
                                                ("x-request-id", requestID)], body: bytes, delay: delay)
    }

    func rateLimitedReply() -> Reply {
        error(429, "rate_limit_exceeded", "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.", v1: false)
    }

    func error(_ status: Int, _ name: String, _ message: String, v1: Bool) -> Reply {
        error(status, name, [message], shape: v1 ? .v1 : .v2)
    }

    func error(_ status: Int, _ name: String, _ messages: [String], v1: Bool) -> Reply {
        error(status, name, messages, shape: v1 ? .v1 : .v2)
    }

    func error(_ status: Int, _ name: String, _ messages: [String], shape: StabilityTestServer.ErrorShape) -> Reply {
        let id = String(format: "%016llx%016llx", UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))
        switch shape {
        case .html:
            return .response(status: status, headers: [("Content-Type", "text/html")],
                             body: Array("<html><body><h1>\(status) Bad Gateway</h1></body></html>".utf8), delay: 0)
        case .v1:
            return json(status, ["id": id, "name": name, "message": messages.joined(separator: "; ")])
        case .v2:
            return json(status, ["id": id, "name": name, "errors": messages])
        }
    }

    func json(_ status: Int, _ object: [String: Any], delay: Double = 0) -> Reply {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return .response(status: status, headers: [("Content-Type", "application/json")], body: Array(data), delay: delay)
    }

    func jsonArray(_ array: [[String: Any]]) -> Reply {
        let data = (try? JSONSerialization.data(withJSONObject: array)) ?? Data()
        return .response(status: 200, headers: [("Content-Type", "application/json")], body: Array(data), delay: 0)
    }
}
