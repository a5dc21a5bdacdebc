#!/usr/bin/env python3
"""Reference runs of the AI engine's models, outside the daemon, for bench/ai-quality.py and
bench/ai-speed.py. Runs inside the venv those scripts make (numpy, Pillow, ncnn, optionally torch).

    ai-reference.py ncnn  IN.png OUT.png --param M.param --bin M.bin [--threads 2] [--tile N --margin 20]
    ai-reference.py torch IN.png OUT.png --param M.param --bin M.bin [--threads 2]

`ncnn`: the PyPI `ncnn` wheel (pybind11 over the same C++ library the daemon links statically),
the same .param/.bin, untiled unless --tile is given: input 8-bit RGB scaled by 1/255, blob
"data" in, blob "output" out, times 255, rounded, clipped. With --tile it cuts the image exactly
as the daemon's TilePlan does (a grid of tile x tile cores, each read through a window of one
shape, tile + 2 x margin, clamped into the image, and cropped after inference).

`torch`: SRVGGNetCompact (realesr-animevideov3's architecture) written out in PyTorch, with the
weights read straight out of the ncnn .param/.bin (fp16 convolution weights, float32 biases and
PReLU slopes), run untiled on the CPU in float32.

Prints one JSON line: load / inference / save seconds and the output size. The PNG is written by
Pillow at zlib level 1 (the daemon's default level), so the time to save is comparable.
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None


def load_rgb(path):
    im = Image.open(path)
    im.load()
    if im.mode != "RGB":
        if "A" in im.getbands() or im.mode == "P":
            # Same as the engine: alpha is not the network's business (it is composited by the caller
            # beforehand when it matters); here drop it.
            im = im.convert("RGBA").convert("RGB")
        else:
            im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def save_rgb(arr, path):
    Image.fromarray(arr, "RGB").save(path, compress_level=1)


def to_bytes(chw):
    """(3, H, W) float in 0..1 to (H, W, 3) uint8, rounded."""
    return np.ascontiguousarray(np.clip(np.rint(chw * 255.0), 0, 255).astype(np.uint8).transpose(1, 2, 0))


# ---------------------------------------------------------------------------------------------
# ncnn wheel

def ncnn_net(param, binf, threads):
    import ncnn
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    if net.load_param(param) != 0 or net.load_model(binf) != 0:
        sys.exit(f"ncnn could not load {param} / {binf}")
    return net


def ncnn_run(net, rgb, threads):
    """rgb: (h, w, 3) uint8 -> (3, H, W) float32 in 0..1 (not clipped)."""
    import ncnn
    h, w, _ = rgb.shape
    mat = ncnn.Mat.from_pixels(np.ascontiguousarray(rgb), ncnn.Mat.PixelType.PIXEL_RGB, w, h)
    mat.substract_mean_normalize([], [1 / 255.0] * 3)
    ex = net.create_extractor()
    ex.input("data", mat)
    ret, out = ex.extract("output")
    if ret != 0:
        sys.exit(f"ncnn extract failed ({ret})")
    arr = np.array(out, copy=True)
    del out, ex, mat
    return arr


def ncnn_tiled(net, rgb, threads, tile, margin):
    """The daemon's TilePlan in Python: same cores, same context, same crop."""
    h, w, _ = rgb.shape
    result = None
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            cw, ch = min(tile, w - x), min(tile, h - y)
            # One window shape for every tile, clamped into the image (TilePlan).
            ww, wh = min(w, tile + 2 * margin), min(h, tile + 2 * margin)
            left, top = min(max(0, x - margin), w - ww), min(max(0, y - margin), h - wh)
            right, bottom = left + ww, top + wh
            out = ncnn_run(net, rgb[top:bottom, left:right], threads)
            s = out.shape[1] // (bottom - top)
            if result is None:
                result = np.empty((h * s, w * s, 3), dtype=np.uint8)
            core = out[:, (y - top) * s:(y - top + ch) * s, (x - left) * s:(x - left + cw) * s]
            result[y * s:(y + ch) * s, x * s:(x + cw) * s] = to_bytes(core)
    return result


# ---------------------------------------------------------------------------------------------
# PyTorch: SRVGGNetCompact from the ncnn files

FP16_TAG = 0x01306B47


def read_ncnn_weights(param, binf):
    """The layers of an ncnn model in order, with their weights as numpy arrays. Knows the layer
    types SRVGGNetCompact uses (Convolution, PReLU; the rest carry no weights)."""
    layers = []
    with open(param) as f:
        lines = [ln.strip() for ln in f.read().replace("\r", "").split("\n") if ln.strip()]
    if lines[0] != "7767517":
        sys.exit(f"{param}: not an ncnn text .param")
    for ln in lines[2:]:
        parts = ln.split()
        kind, name = parts[0], parts[1]
        nin, nout = int(parts[2]), int(parts[3])
        args = {}
        for kv in parts[4 + nin + nout:]:
            k, v = kv.split("=", 1)
            args[int(k)] = v
        layers.append(dict(kind=kind, name=name, args=args))
    data = open(binf, "rb").read()
    at = 0

    def raw_f32(n):
        nonlocal at
        a = np.frombuffer(data, dtype="<f4", count=n, offset=at).copy()
        at += 4 * n
        return a

    def tagged(n):
        nonlocal at
        tag = struct.unpack_from("<I", data, at)[0]
        at += 4
        if tag == FP16_TAG:
            a = np.frombuffer(data, dtype="<f2", count=n, offset=at).astype(np.float32)
            at += (2 * n + 3) & ~3
            return a
        if tag == 0:
            return raw_f32(n)
        sys.exit(f"{binf}: weight tag {tag:#x} at {at - 4} is not fp16 or fp32 (quantized models are not supported)")

    for L in layers:
        if L["kind"] == "Convolution":
            out_c, k = int(L["args"][0]), int(L["args"].get(1, 1))
            size = int(L["args"][6])
            L["weight"] = tagged(size).reshape(out_c, size // (out_c * k * k), k, k)
            if int(L["args"].get(5, 0)):
                L["bias"] = raw_f32(out_c)
        elif L["kind"] == "PReLU":
            L["slope"] = raw_f32(int(L["args"].get(0, 1)))
        elif L["kind"] in ("Input", "Split", "PixelShuffle", "Interp", "BinaryOp"):
            pass
        else:
            sys.exit(f"{param}: layer {L['kind']} is not part of SRVGGNetCompact")
    if at != len(data):
        sys.exit(f"{binf}: read {at} of {len(data)} bytes: the .param does not describe this .bin")
    return layers


def srvgg_from_ncnn(param, binf):
    import torch
    from torch import nn
    import torch.nn.functional as F

    layers = read_ncnn_weights(param, binf)
    convs = [L for L in layers if L["kind"] == "Convolution"]
    prelus = [L for L in layers if L["kind"] == "PReLU"]
    shuffle = [L for L in layers if L["kind"] == "PixelShuffle"]
    interps = [L for L in layers if L["kind"] == "Interp"]
    if not shuffle or len(prelus) != len(convs) - 1:
        sys.exit(f"{param}: not an SRVGGNetCompact")
    upscale = int(shuffle[0]["args"][0])
    if any(L["args"].get(0) != "1" for L in interps[:1]) or len(interps) != 1:
        sys.exit(f"{param}: only the native-factor variant (a nearest skip, no resize after) is implemented")

    class SRVGGNetCompact(nn.Module):
        def __init__(self):
            super().__init__()
            body = []
            for i, c in enumerate(convs):
                w = torch.from_numpy(c["weight"])
                conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=w.shape[2] // 2)
                conv.weight.data.copy_(w)
                conv.bias.data.copy_(torch.from_numpy(c["bias"]))
                body.append(conv)
                if i < len(prelus):
                    act = nn.PReLU(len(prelus[i]["slope"]))
                    act.weight.data.copy_(torch.from_numpy(prelus[i]["slope"]))
                    body.append(act)
            self.body = nn.Sequential(*body)
            self.upsampler = nn.PixelShuffle(upscale)

        def forward(self, x):
            out = self.upsampler(self.body(x))
            return out + F.interpolate(x, scale_factor=upscale, mode="nearest")

    return SRVGGNetCompact().eval()


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runtime", choices=["ncnn", "torch"])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--param", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tile", type=int, default=0, help="ncnn only: tile like the daemon (0: untiled)")
    ap.add_argument("--margin", type=int, default=20)
    a = ap.parse_args()

    t0 = time.perf_counter()
    rgb = load_rgb(a.input)
    if a.runtime == "ncnn":
        net = ncnn_net(a.param, a.bin, a.threads)
        t1 = time.perf_counter()
        if a.tile:
            out = ncnn_tiled(net, rgb, a.threads, a.tile, a.margin)
        else:
            out = to_bytes(ncnn_run(net, rgb, a.threads))
        t2 = time.perf_counter()
    else:
        import torch
        torch.set_num_threads(a.threads)
        model = srvgg_from_ncnn(a.param, a.bin)
        x = torch.from_numpy(rgb.transpose(2, 0, 1).astype(np.float32) / 255.0).unsqueeze(0)
        t1 = time.perf_counter()
        with torch.inference_mode():
            y = model(x)[0].numpy()
        t2 = time.perf_counter()
        del x
        out = to_bytes(y)
        del y
    save_rgb(out, a.output)
    t3 = time.perf_counter()
    print(json.dumps(dict(load=t1 - t0, infer=t2 - t1, save=t3 - t2, width=int(out.shape[1]), height=int(out.shape[0]))))


if __name__ == "__main__":
    main()
