import Foundation
import UpscaledCore

/// What one API answer means for the file, decided from status, headers and body alone (pure,
/// so every branch of the API reference is tested without a network).
public enum StabilityOutcome: Sendable, Equatable {
    /// An image: the result, or a blurred one when `finishReason` is CONTENT_FILTERED.
    case image(bytes: [UInt8], format: ImageFormat?, finishReason: String, seed: String?)
    /// An asynchronous generation started (creative).
    case started(id: String)
    /// Still generating (202 on a poll).
    case inProgress
    /// The input is at fault: `failed/`.
    case failInput(code: FailureCode, reason: String, details: [String: String])
    /// Refused by moderation: `quarantine/`.
    case moderated(code: FailureCode, reason: String, details: [String: String])
    /// The key or account cannot work: pause.
    case pause(reason: String)
    /// 429: wait out the lock-out, then try again.
    case rateLimited
    /// 5xx and the like: back off and try again.
    case retryable(reason: String)
    /// A poll path the server does not know (not an expired generation): try the other path.
    case unknownRoute

    public enum Phase: Sendable, Equatable { case submit, poll }

    public static func classify(_ response: StabilityResponse, kind: EngineKind, phase: Phase) -> StabilityOutcome {
        let status = response.status
        let v1: Bool = { if case .v1 = kind { return true } else { return false } }()
        switch status {
        case 200, 201:
            return success(response, kind: kind, phase: phase)
        case 202:
            if phase == .submit, let id = jsonObject(response.body)?["id"] as? String, !id.isEmpty { return .started(id: id) }
            return .inProgress
        case 401:
            return .pause(reason: "the API key was rejected (401 \(response.error.summary)); fix the key, then reload")
        case 402:
            return .pause(reason: "the account has no credits left (402 \(response.error.summary)); top up, then reload")
        case 403:
            let error = response.error
            if !v1 && (error.name == "content_moderation" || error.messages.contains { $0.contains("moderation") }) {
                return .moderated(code: .contentModeration, reason: "the API refused the image or prompt (content moderation): \(error.summary)",
                                  details: details(error, status))
            }
            return .pause(reason: "the API key lacks permission (403 \(error.summary)); check the key's organization and permissions")
        case 404:
            let error = response.error
            if phase == .poll {
                if error.name == "generation_not_found" || error.messages.contains(where: { $0.contains("expired") || $0.contains("does not exist") }) {
                    return .failInput(code: .generationExpired,
                                      reason: "the API no longer has this generation (results are kept 24 h): \(error.summary)",
                                      details: details(error, status))
                }
                return .unknownRoute
            }
            if case .v1(let id) = kind {
                return .failInput(code: .engineNotAvailable,
                                  reason: "the v1 engine '\(id)' is not available from the API (the v1 upscale engines were retired in 2024; use engine = \"fast\" or \"conservative\"): \(error.summary)",
                                  details: details(error, status))
            }
            return .failInput(code: .apiNotFound, reason: "the API answered 404: \(error.summary)", details: details(error, status))
        case 413:
            return .failInput(code: .payloadTooLarge, reason: "the API refused the upload as too large (413): \(response.error.summary)",
                              details: details(response.error, status))
        case 422:
            let error = response.error
            return .moderated(code: .rejected,
                              reason: "the API rejected the request (422): \(error.summary)", details: details(error, status))
        case 429:
            return .rateLimited
        case 400:
            let error = response.error
            if error.messages.contains(where: { $0.contains("enough balance") }) {
                return .pause(reason: "the account has no credits left: \(error.summary)")
            }
            return .failInput(code: .apiBadRequest, reason: "the API refused the request (400): \(error.summary)", details: details(error, status))
        case 500...599:
            return .retryable(reason: "the API had a server error (\(status)): \(response.error.summary)")
        default:
            return .failInput(code: .apiError, reason: "the API answered \(status): \(response.error.summary)",
                              details: details(response.error, status))
        }
    }

    private static func success(_ response: StabilityResponse, kind: EngineKind, phase: Phase) -> StabilityOutcome {
        let type = response.contentType
        if type.hasPrefix("image/") {
            let reason = response.header("finish-reason") ?? "SUCCESS"
            return .image(bytes: response.body, format: ImageFormat(mimeType: type), finishReason: reason.uppercased(),
                          seed: response.header("seed"))
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body)) else {
            return .retryable(reason: "the API answered 200 with neither an image nor JSON (content type '\(type)')")
        }
        if let object = json as? [String: Any] {
            if let base64 = object["image"] as? String, let data = Data(base64Encoded: base64) {
                let reason = (object["finish_reason"] as? String) ?? (object["finishReason"] as? String) ?? "SUCCESS"
                return .image(bytes: Array(data), format: formatFromJSONType(type), finishReason: reason.uppercased(),
                              seed: (object["seed"]).map { "\($0)" })
            }
            if let artifacts = object["artifacts"] as? [[String: Any]], let first = artifacts.first {
                return artifact(first)
            }
            if phase == .submit, kind == .creative, let id = object["id"] as? String, !id.isEmpty { return .started(id: id) }
            if (object["status"] as? String) == "in-progress" { return .inProgress }
        }
        if let array = json as? [[String: Any]], let first = array.first {       // v1's spec: a bare array
            return artifact(first)
        }
        return .retryable(reason: "the API answered 200 without an image")
    }

    private static func artifact(_ object: [String: Any]) -> StabilityOutcome {
        guard let base64 = object["base64"] as? String, let data = Data(base64Encoded: base64) else {
            return .retryable(reason: "the API's artifact has no image")
        }
        let reason = (object["finishReason"] as? String) ?? (object["finish_reason"] as? String) ?? "SUCCESS"
        if reason.uppercased() == "ERROR" { return .retryable(reason: "the API reported finishReason ERROR") }
        return .image(bytes: Array(data), format: nil, finishReason: reason.uppercased(), seed: object["seed"].map { "\($0)" })
    }

    /// `application/json; type=image/png` names the image's type.
    private static func formatFromJSONType(_ type: String) -> ImageFormat? {
        guard let range = type.range(of: "type=") else { return nil }
        return ImageFormat(mimeType: String(type[range.upperBound...]))
    }

    private static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
    }

    private static func details(_ error: APIErrorBody, _ status: Int) -> [String: String] {
        var out = ["http_status": "\(status)"]
        if let id = error.id { out["request_id"] = id }
        if let name = error.name { out["api_error"] = name }
        if !error.messages.isEmpty { out["api_message"] = error.messages.joined(separator: "; ") }
        return out
    }
}
