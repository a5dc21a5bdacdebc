import Foundation
import MultipartKit
import NIOCore
import Synchronization
import UpscaledEngines

/// The API's behaviour, as shared/stability-api.md describes it, on parsed requests.
struct StabilityAPIModel: Sendable {
    let key: String
    let state: ServerStateBox

    static let stylePresets: Set<String> = [
        "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art", "analog-film",
        "neon-punk", "isometric", "low-poly", "origami", "modeling-compound", "cinematic", "3d-model", "pixel-art",
        "tile-texture",
    ]

    func handle(method: String, uri: String, headers: [String: String], body: [UInt8]) -> Reply {
        let path = String(uri.split(separator: "?").first ?? "")
        let v1 = path.hasPrefix("/v1/")
        var record = RecordedRequest(method: method, path: path, headers: headers, fields: [:], imageBytes: 0,
                                     imageContentType: nil, at: .now, status: 0)
        let reply = route(method: method, path: path, headers: headers, body: body, v1: v1, record: &record)
        if case .response(let status, _, _, _) = reply { record.status = status } else { record.status = -1 }
        state.withLock { $0.requests.append(record) }
        return reply
    }

    private func route(method: String, path: String, headers: [String: String], body: [UInt8], v1: Bool,
                       record: inout RecordedRequest) -> Reply {
        // The rate limit applies to every request on the key, before anything else.
        let limited: Bool = state.withLock { s in
            let now = ContinuousClock.now
            if let until = s.lockedUntil, now < until { s.rateLimited += 1; return true }
            s.window.removeAll { now - $0 >= .seconds(10) }
            s.window.append(now)
            if s.window.count > 150 {
                s.lockedUntil = now + .seconds(60)
                s.rateLimited += 1
                return true
            }
            return false
        }
        if limited { return rateLimitedReply() }
        let keyAccepted = state.withLock { $0.keyAccepted }
        guard headers["authorization"] == "Bearer \(key)", keyAccepted else {
            return error(401, "unauthorized", headers["authorization"] == nil ? "missing authorization header" : "invalid API key", v1: v1)
        }

        switch (method, path) {
        case ("GET", "/v1/user/balance"):
            return json(200, ["credits": 42.5])
        case ("GET", "/v1/engines/list"):
            let engines = state.withLock { $0.v1Engines }
            return jsonArray(engines.map { ["id": $0, "name": $0, "description": "upscaler", "type": "PICTURE"] })
        case ("POST", "/v2beta/stable-image/upscale/fast"),
             ("POST", "/v2beta/stable-image/upscale/conservative"),
             ("POST", "/v2beta/stable-image/upscale/creative"):
            let endpoint = String(path.split(separator: "/").last!)
            return upscale(endpoint: endpoint, headers: headers, body: body, record: &record)
        case ("GET", _) where path.hasPrefix("/v2beta/results/"):
            if state.withLock({ $0.resultsRouteMissing }) {
                return .response(status: 404, headers: [("Content-Type", "text/plain")], body: Array("Not Found".utf8), delay: 0)
            }
            return result(id: String(path.dropFirst("/v2beta/results/".count)), headers: headers)
        case ("GET", _) where path.hasPrefix("/v2beta/stable-image/upscale/creative/result/"):
            return result(id: String(path.dropFirst("/v2beta/stable-image/upscale/creative/result/".count)), headers: headers)
        case ("POST", _) where path.hasPrefix("/v1/generation/") && path.hasSuffix("/image-to-image/upscale"):
            let engine = String(path.dropFirst("/v1/generation/".count).dropLast("/image-to-image/upscale".count))
            return upscaleV1(engine: engine, headers: headers, body: body, record: &record)
        default:
            return .response(status: 404, headers: [("Content-Type", "text/plain")], body: Array("Not Found".utf8), delay: 0)
        }
    }

    // MARK: - v2beta

    private func upscale(endpoint: String, headers: [String: String], body: [UInt8], record: inout RecordedRequest) -> Reply {
        if body.count > 10 * 1024 * 1024 {
            return error(413, "payload_too_large", "body must be under 10 MiB", v1: false)
        }
        guard let form = parseForm(headers: headers, body: body, record: &record) else {
            return error(400, "bad_request", "the body must be multipart/form-data", v1: false)
        }
        guard let image = form.image else { return error(400, "bad_request", "image: is required", v1: false) }
        guard let header = try? VipsBuffer.header(of: image) else {
            return error(400, "bad_request", "image: could not be decoded", v1: false)
        }
        let (w, h) = (header.width, header.height)
        var problems: [String] = []
        let allowed: Set<String>
        switch endpoint {
        case "fast":
            allowed = ["output_format"]
            if min(w, h) < 32 || max(w, h) > 1536 { problems.append("image: each side must be 32 to 1536 px, got \(w)x\(h)") }
            if w * h < 1024 || w * h > 1_048_576 { problems.append("image: must have 1024 to 1048576 pixels, got \(w * h)") }
        case "conservative":
            allowed = ["prompt", "negative_prompt", "seed", "output_format", "creativity"]
            if min(w, h) < 64 { problems.append("image: every side must be at least 64 px") }
            if w * h < 4096 || w * h > 9_437_184 { problems.append("image: must have 4096 to 9437184 pixels, got \(w * h)") }
            if Double(max(w, h)) / Double(min(w, h)) > 2.5 { problems.append("image: aspect ratio must be between 1:2.5 and 2.5:1") }
            if let c = form.fields["creativity"].flatMap(Double.init), !(0.2...0.5).contains(c) { problems.append("creativity: must be 0.2 to 0.5") }
        default:
            allowed = ["prompt", "negative_prompt", "seed", "output_format", "creativity", "style_preset"]
            if min(w, h) < 64 { problems.append("image: every side must be at least 64 px") }
            if w * h < 4096 || w * h > 1_048_576 { problems.append("image: must have 4096 to 1048576 pixels, got \(w * h)") }
            if let c = form.fields["creativity"].flatMap(Double.init), !(0.1...0.5).contains(c) { problems.append("creativity: must be 0.1 to 0.5") }
            if let s = form.fields["style_preset"], !Self.stylePresets.contains(s) { problems.append("style_preset: unknown preset \(s)") }
        }
        if endpoint != "fast" {
            let prompt = form.fields["prompt"] ?? ""
            if prompt.isEmpty || prompt.count > 10_000 { problems.append("prompt: is required (1 to 10000 characters)") }
            if let n = form.fields["negative_prompt"], n.count > 10_000 { problems.append("negative_prompt: at most 10000 characters") }
            if let seed = form.fields["seed"], UInt64(seed).map({ $0 > 4_294_967_294 }) ?? true { problems.append("seed: must be 0 to 4294967294") }
        }
        if let format = form.fields["output_format"], !["jpeg", "png", "webp"].contains(format) {
            problems.append("output_format: must be jpeg, png or webp")
        }
        for (name, value) in form.fields where !allowed.contains(name) { problems.append("\(name): unknown field") ; _ = value }
        for (name, value) in form.fields where value.isEmpty { problems.append("\(name): must not be empty") }
        if let accept = headers["accept"], endpoint != "creative", !(accept == "image/*" || accept == "application/json" || accept == "*/*") {
            problems.append("accept: must be image/* or application/json")
        }
        if !problems.isEmpty { return error(400, "bad_request", problems, v1: false) }

        let behaviour = nextBehaviour()
        let format = form.fields["output_format"] ?? "png"
        let factor = endpoint == "fast" ? 4 : 2
        switch behaviour {
        case .reset: return .reset
        case .rateLimited:
            state.withLock { $0.lockedUntil = .now + .seconds(60); $0.rateLimited += 1 }
            return rateLimitedReply()
        case .moderation:
            return error(403, "content_moderation", "Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.", v1: false)
        case .status(let code, let name, let message, let shape):
            return error(code, name, [message], shape: shape)
        default: break
        }
        guard let upscaled = try? VipsBuffer.transcode(image, suffix: suffix(format), size: (w * factor, h * factor)) else {
            return error(500, "internal_error", "could not produce the result", v1: false)
        }
        let delay = behaviourDelay(behaviour)
        if endpoint == "creative" {
            let id = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
            state.withLock { s in
                s.generations[id] = Generation(pollsLeft: s.creativePollsBeforeReady,
                                               result: upscaled, contentType: "image/\(format)")
            }
            return json(200, ["id": id], delay: delay)
        }
        return imageReply(upscaled, contentType: "image/\(format)", filtered: behaviour == .contentFiltered,
                          asJSON: behaviour == .successJSON || headers["accept"] == "application/json", v1: false, delay: delay)
    }

    private func result(id: String, headers: [String: String]) -> Reply {
        let outcome: (ready: Bool, generation: Generation?) = state.withLock { s in
            guard var g = s.generations[id] else { return (false, nil) }
            if g.pollsLeft > 0 {
                g.pollsLeft -= 1
                s.generations[id] = g
                return (false, g)
            }
            return (true, g)
        }
        guard let generation = outcome.generation else {
            return error(404, "generation_not_found", "the generation either does not exist or has expired", v1: false)
        }
        if !outcome.ready { return json(202, ["id": id, "status": "in-progress"]) }
        return imageReply(generation.result, contentType: generation.contentType, filtered: false,
                          asJSON: headers["accept"] == "application/json", v1: false, delay: 0)
    }

    // MARK: - v1

    private func upscaleV1(engine: String, headers: [String: String], body: [UInt8], record: inout RecordedRequest) -> Reply {
        let engines = state.withLock { $0.v1Engines }
        guard engines.contains(engine) else {
            return error(404, "not_found", "The specified engine (ID \(engine)) was not found.", v1: true)
        }
        guard let form = parseForm(headers: headers, body: body, record: &record) else {
            return error(400, "bad_request", "the body must be multipart/form-data", v1: true)
        }
        guard let image = form.image, let header = try? VipsBuffer.header(of: image) else {
            return error(400, "bad_request", "image: is required", v1: true)
        }
        let (w, h) = (header.width, header.height)
        let width = form.fields["width"].flatMap(Int.init)
        let height = form.fields["height"].flatMap(Int.init)
        var allowed: Set<String> = ["width", "height"]
        if engine.contains("latent") {
            allowed.formUnion(["seed", "steps", "cfg_scale", "text_prompts[0][text]", "text_prompts[0][weight]",
                               "text_prompts[1][text]", "text_prompts[1][weight]"])
        }
        var problems: [String] = []
        if width != nil && height != nil { problems.append("only one of width and height may be given") }
        if let width, width < 512 { problems.append("width: must be at least 512") }
        if let height, height < 512 { problems.append("height: must be at least 512") }
        for name in form.fields.keys where !allowed.contains(name) { problems.append("\(name): unknown field") }
        let maxInput = engine.contains("latent") ? 393_216 : 1_048_576
        if w * h > maxInput { return error(400, "invalid_pixel_count", "image: must have at most \(maxInput) pixels", v1: true) }
        let outW = width ?? (height.map { Int((Double(w) * Double($0) / Double(h)).rounded()) } ?? w * 2)
        let outH = height ?? Int((Double(h) * Double(outW) / Double(w)).rounded())
        if outW * outH > 4_194_304 {
            return error(400, "invalid_pixel_count", "the output would exceed the maximum pixel count of 4,194,304", v1: true)
        }
        if !problems.isEmpty { return error(400, "bad_request", problems.joined(separator: "; "), v1: true) }
        let behaviour = nextBehaviour()
        switch behaviour {
        case .reset: return .reset
        case .rateLimited:
            state.withLock { $0.lockedUntil = .now + .seconds(60); $0.rateLimited += 1 }
            return rateLimitedReply()
        case .status(let code, let name, let message, let shape): return error(code, name, [message], shape: shape)
        case .moderation: return error(403, "permission_denied", "you lack permission", v1: true)
        default: break
        }
        guard let upscaled = try? VipsBuffer.transcode(image, suffix: ".png", size: (outW, outH)) else {
            return error(500, "server_error", "unexpected server error", v1: true)
        }
        return imageReply(upscaled, contentType: "image/png", filtered: behaviour == .contentFiltered,
                          asJSON: behaviour == .successJSON || headers["accept"] != "image/png", v1: true,
                          delay: behaviourDelay(behaviour))
    }
}
