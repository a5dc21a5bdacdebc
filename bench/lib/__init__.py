"""bench/run's code: one module per benchmark section, plus the report (lib/report/).

common.py     constants (sections, sizes, targets) and small shared helpers
inotify.py    inotify through ctypes
daemon.py     the daemon as a subprocess, /proc readers, accounting of every input
context.py    Ctx (tools, machine, scratch folder), the build, the test images
idle.py latency.py throughput.py sweep.py memory.py queue.py burst.py cloud.py resampler.py ai.py cluster.py
              one section each: bench_<section>(ctx) fills ctx.results[<section>] and ctx.commands
report/       the Markdown report built from ctx.results
"""
