/// The page's script and style, served by the daemon itself (no CDN, no build step: it works
/// offline). The script never writes markup from data: every name goes in as text.
enum StaticAssets {
    static let script = #"""
    "use strict";
    // The login form: submitted at once (a person who opened the link meant it).
    function submitLogin() {
      const login = document.getElementById("login");
      if (login) login.submit();
    }

    // The before/after slider: the range input, or a drag (pointer or touch) on the picture.
    function setUpCompare() {
      const box = document.getElementById("compare");
      const slider = document.getElementById("slider");
      if (!box || !slider) return;
      // Fitted: at most its own size, and short enough that its facts show below it. Actual
      // pixels: one pixel of the result per pixel of the screen (devicePixelRatio), scrolled.
      const w = Number(box.dataset.width), h = Number(box.dataset.height);
      const fitted = "min(" + w + "px, calc(70vh * " + (w / h) + "))";
      box.style.maxWidth = fitted;
      box.style.aspectRatio = w + " / " + h;
      slider.parentElement.style.maxWidth = fitted;
      const frame = document.getElementById("compare-frame");
      const zoom = document.getElementById("zoom");
      if (frame && zoom) {
        zoom.addEventListener("click", () => {
          const actual = !frame.classList.contains("actual");
          frame.classList.toggle("actual", actual);
          box.style.maxWidth = actual ? "none" : fitted;
          box.style.width = actual ? (w / (window.devicePixelRatio || 1)) + "px" : "";
          zoom.setAttribute("aria-pressed", String(actual));
          zoom.textContent = actual ? "fit to the window" : "actual pixels";
        });
      }
      const show = (percent) => {
        const p = Math.max(0, Math.min(100, percent));
        box.style.setProperty("--pos", p + "%");
        slider.value = String(p);
      };
      show(50);
      slider.addEventListener("input", () => show(Number(slider.value)));
      const follow = (event) => {
        const r = box.getBoundingClientRect();
        show(((event.clientX - r.left) / r.width) * 100);
      };
      box.addEventListener("pointerdown", (event) => {
        box.setPointerCapture(event.pointerId);
        follow(event);
        box.addEventListener("pointermove", follow);
      });
      box.addEventListener("pointerup", () => box.removeEventListener("pointermove", follow));
      box.addEventListener("keydown", (event) => {
        if (event.key === "ArrowLeft") show(Number(slider.value) - 5);
        if (event.key === "ArrowRight") show(Number(slider.value) + 5);
      });
    }

    // Live updates: the "now" panel from each status event, a new card for each finished job.
    function card(job) {
      const li = document.createElement("li");
      li.className = "card outcome-" + job.outcome;
      const a = document.createElement("a");
      a.href = "/jobs/" + encodeURIComponent(job.id);
      if (job.thumbURL) {
        const img = document.createElement("img");
        img.alt = "";
        img.src = job.thumbURL;
        a.appendChild(img);
      } else {
        const none = document.createElement("span");
        none.className = "no-thumb";
        none.textContent = job.outcome;
        a.appendChild(none);
      }
      const caption = document.createElement("span");
      caption.className = "caption";
      caption.textContent = job.file;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = job.outcome + " · " + (job.width ? job.width + "×" + job.height : (job.code || "")) +
        " · " + job.seconds.toFixed(1) + " s";
      a.append(caption, meta);
      li.appendChild(a);
      return li;
    }

    function showStatus(s) {
      const now = document.getElementById("now");
      if (!now) return;
      now.className = "state-" + s.state;
      const values = { state: s.state, mode: s.mode, engine: s.engine + " " + s.target, queued: s.queued,
        inFlight: s.inFlight, done: s.done, failed: s.failed, quarantined: s.quarantined, note: s.note || "",
        lastError: s.lastError || "", updatedAt: s.updatedAt };
      for (const field of now.querySelectorAll("[data-k]")) {
        const value = values[field.dataset.k];
        if (value !== undefined) field.textContent = String(value);
      }
      const list = document.getElementById("progress");
      if (list) {
        list.replaceChildren(...(s.progress || []).map((job) => {
          const li = document.createElement("li");
          const bar = document.createElement("progress");
          bar.max = job.total;
          bar.value = job.done;
          li.append(job.file + " ", bar, " " + job.done + "/" + job.total + " tiles");
          return li;
        }));
      }
    }

    function listen() {
      if (!document.getElementById("now") && !document.getElementById("results")) return;
      const events = new EventSource("/api/events");
      const live = document.getElementById("live");
      events.onopen = () => { if (live) live.hidden = false; };
      events.onerror = () => { if (live) live.hidden = true; };
      events.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
      events.addEventListener("job", (e) => {
        const job = JSON.parse(e.data);
        const grid = document.getElementById("results");
        if (!grid || job.outcome !== "done" || location.pathname !== "/") return;
        grid.prepend(card(job));
        while (grid.children.length > 12) grid.lastElementChild.remove();
        const count = document.querySelector("#recent .count");
        if (count) count.textContent = String(Number(count.textContent) + 1);
        const empty = document.querySelector("#recent .empty");
        if (empty) empty.remove();
      });
    }

    // A delete asks first: it cannot be undone.
    function confirmDeletes() {
      document.querySelectorAll("form button.delete").forEach((button) => {
        button.form.addEventListener("submit", (event) => {
          const item = button.closest(".item");
          const name = item ? item.querySelector(".name").textContent : "this file";
          if (!window.confirm("Delete " + name + " for good? This cannot be undone.")) event.preventDefault();
        });
      });
    }

    // A file with no preview (not an image, or broken): a plain box, not a broken picture.
    function markMissingPreviews() {
      document.querySelectorAll(".thumb img").forEach((img) => {
        const none = () => {
          const span = document.createElement("span");
          span.className = "no-preview";
          span.textContent = "no preview";
          img.replaceWith(span);
        };
        if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) none();
        else img.addEventListener("error", none);
      });
    }

    document.addEventListener("DOMContentLoaded", () => {
      submitLogin();
      setUpCompare();
      confirmDeletes();
      markMissingPreviews();
      listen();
    });
    """#

    static let style = #"""
    :root { color-scheme: light dark; --accent: #3b6fd8; --bad: #c0392b; --muted: #777; }
    body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
    header { display: flex; gap: 2em; align-items: center; padding: .6em 1.2em; background: #1f2937; color: #eee; }
    header a { color: inherit; text-decoration: none; margin-right: 1.2em; }
    .brand { font-weight: 700; }
    main { max-width: 1200px; margin: 0 auto; padding: 1em 1.2em; }
    h1 { font-size: 1.3em; } .count { color: var(--muted); font-weight: 400; }
    #now dl, .facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
    #now dt, .facts dt { color: var(--muted); } .badge { padding: .1em .5em; border-radius: .4em; background: var(--accent); color: #fff; }
    .state-paused .badge { background: var(--bad); } .updated { color: var(--muted); font-size: .85em; }
    .live { font-size: .6em; color: #2e7d32; border: 1px solid currentColor; border-radius: .4em; padding: 0 .4em; vertical-align: middle; }
    .jobs:empty { display: none; }
    .grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .8em; }
    .card a { display: block; color: inherit; text-decoration: none; }
    .card img, .no-thumb { display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: cover; border-radius: .4em; background: #8882; }
    .no-thumb { display: grid; place-items: center; color: var(--muted); }
    .caption { display: block; font-weight: 600; word-break: break-all; margin-top: .3em; }
    .card .meta { display: block; }
    .compare { position: relative; overflow: hidden; width: 100%; border-radius: .4em; user-select: none; touch-action: none;
               cursor: ew-resize; background: #8882; --pos: 50%; }
    .compare img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; pointer-events: none; }
    .compare .after { clip-path: inset(0 0 0 var(--pos)); }
    .compare .handle { position: absolute; top: 0; bottom: 0; left: var(--pos); width: 2px; background: #fff; box-shadow: 0 0 4px #000; }
    .tag { position: absolute; top: .5em; padding: .1em .5em; border-radius: .3em; background: #000a; color: #fff; font-size: .85em; }
    .tag-before { left: .5em; } .tag-after { right: .5em; }
    .compare-frame.actual { overflow: auto; max-height: 80vh; border-radius: .4em; }
    .compare-frame.actual .compare { border-radius: 0; }
    .compare:focus-visible { outline: 2px solid var(--accent, #36c); outline-offset: 2px; }
    .slider { display: flex; gap: .6em; align-items: center; margin: .6em 0; }
    .slider label { display: flex; flex: 1; gap: .6em; align-items: center; } .slider input { flex: 1; }
    .zoom { white-space: nowrap; }
    img.result { max-width: 100%; }
    .shelf { list-style: none; padding: 0; }
    .item { display: grid; grid-template-columns: 96px 1fr auto; gap: 1em; align-items: start; padding: .6em 0; border-bottom: 1px solid #8884; }
    .thumb img { width: 96px; height: 96px; object-fit: cover; background: #8882; border-radius: .3em; }
    .no-preview { display: grid; place-items: center; width: 96px; height: 96px; background: #8882; border-radius: .3em;
                  color: var(--muted); font-size: .8em; }
    .name { font-weight: 600; margin: 0; word-break: break-all; } .reason { margin: .2em 0; } .meta { color: var(--muted); font-size: .85em; margin: 0; }
    .actions { display: flex; gap: .4em; } .actions form { margin: 0; }
    button { font: inherit; padding: .3em .8em; border-radius: .4em; border: 1px solid #8886; cursor: pointer; }
    button.retry { background: var(--accent); color: #fff; } button.delete { color: var(--bad); }
    .notice { background: #3b6fd822; padding: .6em 1em; border-radius: .4em; }
    .search input, .search select { padding: .3em; } .search input { min-width: 18em; }
    """#
}
