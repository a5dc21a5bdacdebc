import Foundation

/// An error answer from the API, decoded leniently: v1's `{id, name, message}`, v2beta's
/// `{id, name, errors: […]}`, or a body that is not JSON at all (a proxy's HTML page).
public struct APIErrorBody: Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var messages: [String]

    public init(id: String? = nil, name: String? = nil, messages: [String]) {
        self.id = id
        self.name = name
        self.messages = messages
    }

    public static func decode(_ body: [UInt8], contentType: String?) -> APIErrorBody {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            var messages: [String] = []
            if let message = object["message"] as? String { messages.append(message) }
            if let errors = object["errors"] as? [Any] { messages += errors.map { "\($0)" } }
            if messages.isEmpty, let status = object["status"] { messages.append("status \(status)") }
            return APIErrorBody(id: object["id"] as? String, name: object["name"] as? String, messages: messages)
        }
        var text = String(decoding: body.prefix(300), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if text.contains("<html") || text.contains("<HTML") { text = "an HTML page (a proxy or gateway error?)" }
        return APIErrorBody(messages: text.isEmpty ? [] : [text])
    }

    /// One line: `name: message; message (id …)`.
    public var summary: String {
        var parts: [String] = []
        if let name { parts.append(name) }
        if !messages.isEmpty { parts.append(messages.joined(separator: "; ")) }
        var text = parts.isEmpty ? "no details" : parts.joined(separator: ": ")
        if let id { text += " (request id \(id))" }
        return text
    }
}
