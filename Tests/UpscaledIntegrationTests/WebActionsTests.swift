import Foundation
import Glibc
import SystemPackage
import Testing
import UpscaledCore
import UpscaledTestSupport

/// The page's actions over HTTP against the real binary: exactly-once, through the journal,
/// with the daemon's own claim rules taking what goes back.
@Suite struct WebActionsTests {
    func ids(_ page: DaemonHarness.Page, _ folder: String) async throws -> [String: String] {
        let listing = try await page.probe.get("/api/\(folder)?limit=500", token: page.token)
        let items = (listing.json as? [String: Any])?["items"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: items.compactMap { item in
            (item["name"] as? String).flatMap { name in (item["id"] as? String).map { (name, $0) } }
        })
    }

    /// Ten clients click retry on the same file at once: one wins, the rest hear 404, and the
    /// file is processed once (it fails again, filed anew under a new id).
    @Test func aRetryClickedManyTimesAtOnceMakesOneJob() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        try h.drop("broken.png") { try writeFile($0, Array("not an image".utf8)) }
        #expect(await eventually { exists(h.failed.appending("broken.png")) })
        let id = try #require(try await ids(page, "failed")["broken.png"])
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { (try? await page.probe.post("/api/failed/\(id)/retry", token: page.token).status) ?? -1 } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1 && statuses.filter { $0 == 404 }.count == 9, "\(statuses)")
        #expect(await eventuallyAsync { (try? await ids(page, "failed"))?["broken.png"].map { $0 != id } == true })
        #expect(await h.stop() == 0)
        let failures = h.daemon?.log.components(separatedBy: "failed broken.png").count ?? 0
        #expect(failures - 1 == 2, "one first failure and one retry:\n\(h.daemon?.log ?? "")")
        #expect(h.everything == ["failed/broken.png", "failed/broken.png.json"])
    }

    /// A delete sent with the id of a file that was retried meanwhile (and failed again, filed
    /// under its old name) deletes nothing.
    @Test func aDeleteOfAFileRetriedMeanwhileLosesNothing() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        try h.drop("broken.png") { try writeFile($0, Array("not an image".utf8)) }
        #expect(await eventually { exists(h.failed.appending("broken.png")) })
        let old = try #require(try await ids(page, "failed")["broken.png"])
        #expect(try await page.probe.post("/api/failed/\(old)/retry", token: page.token).status == 200)
        #expect(await eventuallyAsync { (try? await ids(page, "failed"))?["broken.png"].map { $0 != old } == true })
        #expect(try await page.probe.post("/api/failed/\(old)/delete", token: page.token).status == 404)
        #expect(exists(h.failed.appending("broken.png")) && exists(h.failed.appending("broken.png.json")))
        let new = try #require(try await ids(page, "failed")["broken.png"])
        let deleted = try await page.probe.post("/api/failed/\(new)/delete", token: page.token)
        #expect(deleted.status == 200 && (deleted.json as? [String: Any])?["outcome"] as? String == "deleted")
        #expect(await h.stop() == 0)
        #expect(h.everything.isEmpty)
    }

    /// A quarantined file (as a cloud engine files one: the original with the API's reason)
    /// released to the archive, another deleted; the history and /api/jobs show done jobs.
    @Test func quarantineReleaseAndDeleteAndTheHistoryOfJobs() async throws {
        let h = try DaemonHarness()
        for name in ["flagged.png", "other.png"] {
            try FileManager.default.createDirectory(atPath: h.quarantine.string, withIntermediateDirectories: true)
            try ImageFactory.write(h.quarantine.appending(name))
            try writeFile(h.quarantine.appending("\(name).json"), Array("""
                {"code":"content-filtered","reason":"the API's content filter flagged \(name)","file":"\(name)","fileBytesBase64":"\(Data(name.utf8).base64EncodedString())","engine":"fast","filedAt":"2026-12-04T00:00:00Z","details":{}}
                """.utf8))
        }
        let page = try await h.startWithPage()
        let quarantined = try await ids(page, "quarantine")
        let listing = try await page.probe.get("/api/quarantine?q=FLAG", token: page.token)
        #expect(((listing.json as? [String: Any])?["total"] as? Int) == 1)
        #expect(listing.text.contains("the API's content filter flagged flagged.png"))
        let released = try await page.probe.post("/api/quarantine/\(try #require(quarantined["flagged.png"]))/release", token: page.token)
        #expect(released.status == 200 && (released.json as? [String: Any])?["path"] as? String == "archive/flagged.png")
        #expect(try await page.probe.post("/api/quarantine/\(try #require(quarantined["other.png"]))/delete", token: page.token).status == 200)
        #expect(listFiles(h.quarantine).isEmpty && exists(h.archive.appending("flagged.png")))
        try h.drop("a.png") { try ImageFactory.write($0, width: 40, height: 30) }
        #expect(await eventually { exists(h.outbox.appending("a.png")) })
        var jobs: [[String: Any]] = []
        #expect(await eventuallyAsync {
            jobs = ((try? await page.probe.get("/api/jobs", token: page.token))?.json as? [String: Any])?["items"] as? [[String: Any]] ?? []
            return !jobs.isEmpty
        })
        let job = try #require(jobs.first)
        #expect(job["file"] as? String == "a.png" && job["width"] as? Int == 80 && job["original"] as? String == "archive/a.png")
        let id = try #require(job["id"] as? String)
        let result = try await page.probe.get("/api/jobs/\(id)/result", token: page.token)
        let onDisk = try readFile(h.outbox.appending("a.png"))
        #expect(result.status == 200 && result.header("Content-Type") == "image/png" && result.body == onDisk)
        let thumb = try await page.probe.get("/api/jobs/\(id)/thumb", token: page.token)
        #expect(thumb.status == 200 && thumb.header("Content-Type") == "image/webp" && thumb.body.count > 20)
        // The history survives a restart.
        #expect(await h.stop() == 0)
        let again = try await h.startWithPage()
        #expect(try await again.probe.get("/api/jobs/\(id)", token: again.token).status == 200)
        #expect(await h.stop() == 0)
    }

    /// Previews are made in a helper process: it holds none of the daemon's descriptors, and it
    /// leaves when the daemon does, even when the daemon is killed.
    @Test func thePreviewHelperLeavesWithTheDaemonEvenAKilledOne() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        try h.drop("coins.png") { try FileManager.default.copyItem(atPath: try RealImages.path("coins.png").string, toPath: $0.string) }
        var id = ""
        #expect(await eventuallyAsync {
            let jobs = ((try? await page.probe.get("/api/jobs", token: page.token))?.json as? [String: Any])?["items"] as? [[String: Any]]
            id = jobs?.first?["id"] as? String ?? ""
            return !id.isEmpty
        })
        #expect(try await page.probe.get("/api/jobs/\(id)/thumb", token: page.token).status == 200)
        let daemon = try #require(h.daemon)
        let helper = try #require(children(of: daemon.process.processIdentifier).first, "no preview helper runs")
        // Beyond its socket (0, 1) and /dev/null (2), only what it opened itself (its event loops'
        // epoll and eventfds): no socket or pipe of the daemon's.
        let descriptors = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(helper)/fd")) ?? []).compactMap { fd in
            Int(fd).flatMap { $0 > 2 ? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(helper)/fd/\(fd)")) : nil }
        }
        #expect(descriptors.allSatisfy { !$0.hasPrefix("socket:") && !$0.hasPrefix("pipe:") }, "the helper holds \(descriptors)")
        daemon.signal(SIGKILL)
        #expect(await daemon.waitForExit() != nil)
        #expect(await eventually {
            let state = (try? String(contentsOfFile: "/proc/\(helper)/stat", encoding: .utf8))?.split(separator: ")").last?
                .split(separator: " ").first
            return state == nil || state == "Z"                     // gone, or exited and not yet reaped by init
        }, "the helper outlived a killed daemon")
    }

    /// A helper that exits (as it does after a minute idle; here it is killed) is reaped at once,
    /// not left `<defunct>` under the daemon until the next preview, and the next preview starts
    /// another.
    @Test func aPreviewHelperThatExitsIsReapedAtOnce() async throws {
        let h = try DaemonHarness()
        let page = try await h.startWithPage()
        for name in ["coins.png", "coins-2.png"] {
            try h.drop(name) { try FileManager.default.copyItem(atPath: try RealImages.path("coins.png").string, toPath: $0.string) }
        }
        var jobs: [String] = []
        #expect(await eventuallyAsync {
            let items = ((try? await page.probe.get("/api/jobs", token: page.token))?.json as? [String: Any])?["items"] as? [[String: Any]]
            jobs = items?.compactMap { $0["id"] as? String } ?? []
            return jobs.count == 2
        })
        #expect(try await page.probe.get("/api/jobs/\(jobs[0])/thumb", token: page.token).status == 200)
        let daemon = try #require(h.daemon)
        let pid = daemon.process.processIdentifier
        let helper = try #require(children(of: pid).first, "no preview helper runs")
        kill(helper, SIGKILL)
        #expect(await eventually { !FileManager.default.fileExists(atPath: "/proc/\(helper)") && children(of: pid).isEmpty },
                "the helper that exited was not reaped: \((try? String(contentsOfFile: "/proc/\(helper)/stat", encoding: .utf8)) ?? "")")
        #expect(try await page.probe.get("/api/jobs/\(jobs[1])/thumb", token: page.token).status == 200)
        #expect(children(of: pid).count == 1, "the next preview started no helper")
        #expect(await h.stop() == 0)
    }

    /// A photo the cloud quarantined, retried from the page with the offline AI engine while the
    /// daemon runs another: done by the AI engine, once; a name that is no engine changes nothing.
    @Test func aQuarantinedFileRetriedWithAnotherEngineIsDoneByThatEngine() async throws {
        let h = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: h.quarantine.string, withIntermediateDirectories: true)
        try ImageFactory.write(h.quarantine.appending("flagged.png"), width: 48, height: 32)
        try writeFile(h.quarantine.appending("flagged.png.json"), Array("""
            {"code":"content-filtered","reason":"the API's content filter flagged flagged.png","file":"flagged.png","fileBytesBase64":"\(Data("flagged.png".utf8).base64EncodedString())","engine":"fast","filedAt":"2026-12-04T00:00:00Z","details":{}}
            """.utf8))
        let page = try await h.startWithPage()                     // --engine local
        let id = try #require(try await ids(page, "quarantine")["flagged.png"])
        #expect(try await page.probe.post("/api/quarantine/\(id)/retry?engine=fast", token: page.token).status == 400)
        #expect(try await page.probe.post("/api/quarantine/\(id)/retry?engine=../../x", token: page.token).status == 400)
        #expect(exists(h.quarantine.appending("flagged.png")) && exists(h.quarantine.appending("flagged.png.json")))
        let retried = try await page.probe.post("/api/quarantine/\(id)/retry?engine=ai", token: page.token)
        #expect(retried.status == 200, "\(retried)")
        #expect(await eventually(timeout: .seconds(120)) { exists(h.archive.appending("flagged.png")) })
        var job: [String: Any] = [:]
        #expect(await eventuallyAsync {
            let jobs = ((try? await page.probe.get("/api/jobs", token: page.token))?.json as? [String: Any])?["items"] as? [[String: Any]]
            job = jobs?.first ?? [:]
            return !job.isEmpty
        })
        #expect(job["engine"] as? String == "ai" && job["width"] as? Int == 96, "\(job)")
        #expect(try ImageFactory.info(h.outbox.appending("flagged.png")).width == 96)
        #expect(listFiles(h.root.appending("inbox/.upscaled/engine-overrides")).isEmpty)
        #expect(await h.stop() == 0)
        #expect(h.daemon?.log.contains("with the ai engine, as asked on the page") == true)
        #expect(h.everything == ["archive/flagged.png", "outbox/flagged.png"])
    }
}

/// The processes `pid` started (a child is listed under the thread that started it: every
/// thread's list is read).
func children(of pid: pid_t) -> [pid_t] {
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return threads.compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/children", encoding: .utf8) }
        .joined(separator: " ").split(separator: " ").compactMap { pid_t($0) }
}
