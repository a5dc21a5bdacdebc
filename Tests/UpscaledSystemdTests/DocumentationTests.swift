import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledDaemon
import UpscaledTestSupport

/// The man pages and the example configuration cover every option and key that exists.
@Suite("man pages and the example configuration")
struct DocumentationTests {
    static var manPage: FilePath { repositoryRoot.appending("packaging/man/upscaled.1") }
    static var configPage: FilePath { repositoryRoot.appending("packaging/man/upscaled.toml.5") }
    static var example: FilePath { repositoryRoot.appending("packaging/config.toml.example") }

    /// roff source as plain text: font escapes removed, `\-` as `-`.
    static func plain(_ path: FilePath) -> String {
        var text = readText(path).replacingOccurrences(of: "\\-", with: "-")
        for font in ["\\fB", "\\fI", "\\fR", "\\fP"] { text = text.replacingOccurrences(of: font, with: "") }
        return text
    }

    @Test("upscaled(1) documents every option each command's --help lists", arguments: [[], ["run"], ["upscale"], ["status"], ["web"]])
    func everyOptionIsDocumented(command: [String]) async throws {
        let home = TempDirectory("upscaled-help")
        let help = try await runUpscaled(command + ["--help"], home: home.path)
        #expect(help.status == 0, "\(help.output)")
        let options = Set(help.output.matches(of: /--[a-z0-9][a-z0-9-]*/).map { String($0.output) })
        #expect(!options.isEmpty)
        let page = Self.plain(Self.manPage)
        for option in options {
            #expect(page.contains(option), "upscaled(1) does not mention \(option) (from upscaled \(command.joined(separator: " ")) --help)")
        }
        for subcommand in ["run", "upscale", "status", "web"] {
            #expect(page.contains(".B \(subcommand)") || page.contains(".BI \"\(subcommand) "), "command \(subcommand)")
        }
    }

    @Test("upscaled.toml(5) and the example configuration name every key the loader accepts")
    func everyKeyIsDocumented() {
        let page = Self.plain(Self.configPage)
        let example = readText(Self.example)
        let keys = ConfigLoader.keys.union(ConfigLoader.stabilityKeys).union(ConfigLoader.generationKeys)
            .union(ConfigLoader.aiKeys).union(ConfigLoader.webKeys)
        for key in keys.sorted() {
            #expect(page.contains(key), "upscaled.toml(5) does not document '\(key)'")
            #expect(example.contains(key), "config.toml.example does not mention '\(key)'")
        }
    }

    /// The `[ai]` keys are common words (model, threads, gpu), so they are looked for where a key is
    /// documented: as an item (`.TP`) of the page's `[ai]` section, and as a `key =` line of the
    /// example's `[ai]` table.
    @Test("upscaled.toml(5) and the example configuration document every [ai] key in their [ai] sections")
    func everyAIKeyIsDocumented() throws {
        let page = Self.plain(Self.configPage)
        let section = try #require(Self.section(of: page, from: ".SH \"[ai]\"", to: ".SH "), "upscaled.toml(5) has no [ai] section")
        let lines = section.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The line after each .TP: `.BR key " (type, default ...)"` or `.BR key1 ", " key2 ...`.
        let items = zip(lines, lines.dropFirst()).filter { $0.0 == ".TP" }.map { $0.1 }
        let documented = Set(items.flatMap { $0.split(whereSeparator: { " \",".contains($0) }).map(String.init) })
        let example = readText(Self.example)
        let table = try #require(Self.section(of: example, from: "#[ai]\n", to: "\n#["), "config.toml.example has no #[ai] table")
        for key in ConfigLoader.aiKeys.sorted() {
            #expect(documented.contains(key), "upscaled.toml(5) [ai] does not document '\(key)'")
            #expect(table.contains("#\(key) = ") || table.contains("# e.g. \(key) = "),
                    "config.toml.example [ai] has no '#\(key) = ' or '# e.g. \(key) = ' line")
        }
    }

    /// The text from `start` up to the next `end` after it (or the end of the text).
    static func section(of text: String, from start: String, to end: String) -> String? {
        guard let begin = text.range(of: start) else { return nil }
        let rest = text[begin.upperBound...]
        return String(rest.range(of: end).map { rest[..<$0.lowerBound] } ?? rest)
    }

    @Test("the example configuration is valid as shipped, and its `#key = value` lines are the defaults")
    func exampleShowsTheDefaults() throws {
        let folder = TempDirectory("upscaled-example")
        let environment = ["HOME": folder.path.string]
        let shipped = try ConfigLoader(explicitPath: Self.example, overrides: ConfigOverrides()).load(environment: environment)

        // Uncomment every `#key = value` and `#[table]` line: the result must load to exactly
        // the defaults (what an empty file gives).
        let uncommented = readText(Self.example).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && !line.hasPrefix("# ") && line.count > 1 ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        let active = folder.appending("uncommented.toml")
        try writeText(active, uncommented)
        let empty = folder.appending("empty.toml")
        try writeText(empty, "")
        let defaults = try ConfigLoader(explicitPath: empty, overrides: ConfigOverrides()).load(environment: environment)
        let fromExample = try ConfigLoader(explicitPath: active, overrides: ConfigOverrides()).load(environment: environment)
        #expect(fromExample == defaults, "uncommented example:\n\(uncommented)")
        #expect(shipped == defaults)
    }

    @Test("the man pages render without warnings", .enabled(if: findExecutable("man") != nil, "needs man"))
    func manPagesRender() async throws {
        for page in [Self.manPage, Self.configPage] {
            let rendered = try await runCommand(findExecutable("man")!, ["--warnings=all", "-l", page.string],
                                                environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MANWIDTH": "80",
                                                              "MANPAGER": "cat", "PAGER": "cat"])
            #expect(rendered.status == 0, "\(rendered)")
            #expect(rendered.error.isEmpty, "\(page.lastComponent!): \(rendered.error)")
            #expect(rendered.output.contains("NAME"))
        }
    }
}
