/// The page's script and style, served by the daemon itself (no CDN: it works offline).
enum StaticAssets {
    /// Submits the login form at once (a person who clicked the link meant it).
    static let script = #"""
    "use strict";
    document.addEventListener("DOMContentLoaded", () => {
      const login = document.getElementById("login");
      if (login) login.submit();
    });
    """#

    static let style = #"""
    :root { color-scheme: light dark; --accent: #3b6fd8; --bad: #c0392b; --muted: #777; }
    body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
    header { display: flex; gap: 2em; align-items: center; padding: .6em 1.2em; background: #1f2937; color: #eee; }
    header a { color: inherit; text-decoration: none; margin-right: 1.2em; }
    .brand { font-weight: 700; }
    main { max-width: 1100px; margin: 0 auto; padding: 1em 1.2em; }
    h1 { font-size: 1.3em; } .count { color: var(--muted); font-weight: 400; }
    #now dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
    #now dt { color: var(--muted); } .badge { padding: .1em .5em; border-radius: .4em; background: var(--accent); color: #fff; }
    .state-paused .badge { background: var(--bad); } .updated { color: var(--muted); font-size: .85em; }
    .shelf { list-style: none; padding: 0; }
    .item { display: grid; grid-template-columns: 96px 1fr auto; gap: 1em; align-items: start; padding: .6em 0; border-bottom: 1px solid #8884; }
    .thumb img { width: 96px; height: 96px; object-fit: cover; background: #8882; border-radius: .3em; }
    .name { font-weight: 600; margin: 0; word-break: break-all; } .reason { margin: .2em 0; } .meta { color: var(--muted); font-size: .85em; margin: 0; }
    .actions { display: flex; gap: .4em; } .actions form { margin: 0; }
    button { font: inherit; padding: .3em .8em; border-radius: .4em; border: 1px solid #8886; cursor: pointer; }
    button.retry { background: var(--accent); color: #fff; } button.delete { color: var(--bad); }
    .notice { background: #3b6fd822; padding: .6em 1em; border-radius: .4em; }
    .search input { padding: .3em; min-width: 18em; }
    """#
}
