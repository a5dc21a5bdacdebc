import TOMLKit
import UpscaledCore

extension ConfigLoader {
    /// The keys of `[ai]`; upscaled.toml(5) documents each.
    public static let aiKeys: Set<String> = [
        "model", "model_path", "model_scale", "model_family", "models_dir", "memory_mb", "tile_size", "tile_margin", "threads", "gpu",
    ]

    static func applyAI(_ table: TOMLTable, file: String, to ai: inout AIConfig) throws(ConfigError) {
        for key in table.keys where !aiKeys.contains(key) {
            throw ConfigError("\(file): unknown key 'ai.\(key)'; known keys: \(aiKeys.sorted().joined(separator: ", "))")
        }
        let reader = TableReader(table: table, file: file, prefix: "ai.")
        if let v = try reader.string("model") { ai.model = v }
        if let v = try reader.string("model_path") {
            // "/x/y", "/x/y.param" and "/x/y.bin" all name the pair /x/y.param + /x/y.bin.
            ai.modelPath = v.hasSuffix(".param") ? String(v.dropLast(6)) : v.hasSuffix(".bin") ? String(v.dropLast(4)) : v
        }
        if let v = try reader.int("model_scale") { ai.modelScale = v }
        if let v = try reader.choice("model_family", AIModelFamily.self) { ai.modelFamily = v }
        if let v = try reader.string("models_dir") { ai.modelsDirectory = v }
        if let v = try reader.int("memory_mb") { ai.memoryMB = v }
        if let v = try reader.int("tile_size") { ai.tileSize = v == 0 ? nil : v }
        if let v = try reader.int("tile_margin") { ai.tileMargin = v }
        if let v = try reader.int("threads") { ai.threads = v }
        if let v = try reader.choice("gpu", AIConfig.GPU.self) { ai.gpu = v }
    }
}
