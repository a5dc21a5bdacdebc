"""Report sections run by other scripts: 6 (cloud path), the resampler, the optional AI sections."""

from ..common import AI_SECTIONS
from ..context import machine_line


def cloud(ctx, w):
    """## 6. Cloud path: always written ("Not measured yet" when the section did not run or was skipped)."""
    R, C = ctx.results, ctx.commands
    w("## 6. Cloud path")
    w("")
    cl = R.get("cloud")
    if cl and "table" in cl:
        w(f"The daemon with `engine = \"fast\"` against `upscaled-fake-api` (the loopback stand-in for the Stability "
          f"API: 1 s per response, the API's 150 requests per 10 s limit) on {ctx.p['cloud_files']} small PNGs "
          f"renamed in at once; `bench/cloud-throughput.py` (written with the cloud engines) does the work and prints "
          f"this table. One run: the sustained rate is itself an average over every request.")
        w("")
        w(cl["table"])
        w("")
        w(machine_line(ctx, "cloud"))
        w("")
        w(f"Command: `{C.get('cloud', '')}`")
    else:
        w("Not measured yet" + (f": {cl['skipped']}." if cl else ": run `bench/run --only cloud` once the "
                                                               "`upscaled-fake-api` product is built."))
    w("")


def resampler(ctx, w):
    """## The resampler (quality and speed)."""
    R, C = ctx.results, ctx.commands
    if "resampler" in R:
        w("## The resampler (quality and speed)")
        w("")
        w("`bench/resampler-quality.py` (written with the resampler choice): each image shrunk 2x, then enlarged 2x "
          "by each candidate; mean absolute error to the original, and the median time of the `vips` command.")
        w("")
        w(R["resampler"]["table"])
        w("")
        w(machine_line(ctx, "resampler"))
        w("")
        w(f"Command: `{C.get('resampler', '')}`")
        w("")


def ai(ctx, w):
    """## AI engine: quality / speed (this run), for each optional section that ran."""
    R, C = ctx.results, ctx.commands
    for name in AI_SECTIONS:
        if name in R:
            w(f"## AI engine: {name[3:]} (this run)")
            w("")
            w(R[name]["table"])
            w("")
            w(f"Command: `{C.get(name, '')}`")
            w("")
