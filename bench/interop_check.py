#!/usr/bin/python3
"""Interoperability check: balcon's exported encoder, rebuilt in PyTorch, gives the features `balcon embed` wrote.

The architecture is bench/peer_simclr.py's ContrastiveModel (imported from it); the weights are read from the
export's model.safetensors with the standard library and numpy alone (8-byte little-endian header length, JSON
header, raw little-endian buffers), checked against model.json's SHA-256, and loaded with load_state_dict(strict).
The features are the backbone's output in eval mode (batch-norm running statistics) under torch.inference_mode(),
of images normalised as model.json's `input` says: (pixel / 255 - mean[c]) / std[c].

The images come from one of:
  --idx FILE     an IDX file of the embedded split (Fashion-MNIST, MNIST): already at the encoder's input size, so
                 no resize is involved; the CSV's ids are indexes into it.
  --images DIR   the folder given to `balcon embed --data` (image folder, list, unlabelled folder): the CSV's ids
                 are file paths relative to it. Each file is decoded with PIL and brought to the encoder's input
                 in two ways:
                   balcon: PIL's decoded RGB pixels, then balcon's own conversion and resize (data/ImageDecoder and
                           data/Resize: luma for 1 channel, cover-scale with antialiased bilinear taps, centre crop,
                           all in float32 in Java's order of operations, rounded once to uint8), re-implemented
                           here in numpy. This is the checked number: it isolates the network (and the JPEG
                           decoder, which is libjpeg on both sides).
                   pil:    what a PyTorch user would write: convert("RGB"/"L") and Image.resize(BILINEAR, box=the
                           centre crop). PIL rounds its filter weights to fixed point and the intermediate row pass
                           to uint8 (and convert("L") to an integer), so its pixels can differ from balcon's by a
                           level or so; the script prints that pixel difference and the feature difference it leads
                           to, separately and without a tolerance.

Prints the largest absolute difference between the features and the rows of `balcon embed`'s FILE.npy, and the
last line in JSON; exits 1 if the checked difference exceeds --tolerance.

  ./balcon export --run-dir /tmp/fm --out /tmp/fm-export
  ./balcon embed --model /tmp/fm-export --dataset fashion-mnist --split test --out /tmp/fm-emb
  /usr/bin/python3 bench/interop_check.py --model /tmp/fm-export --embeddings /tmp/fm-emb \\
      --idx /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --split test
  ./balcon embed --model /tmp/tin-export --dataset imagefolder --data DIR --split test --out /tmp/tin-emb
  /usr/bin/python3 bench/interop_check.py --model /tmp/tin-export --embeddings /tmp/tin-emb --images DIR --split test

Needs Debian's python3-torch (1.13), numpy and, for --images, PIL; nothing else.
"""
import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_simclr import DEPTHS, ContrastiveModel, read_safetensors  # noqa: E402


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[2] != 0x08 or data[3] != 3:
        raise SystemExit(f"{path}: not an IDX file of uint8 images (magic {data[:4].hex()})")
    count, rows, cols = struct.unpack(">III", data[4:16])
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def load_model(export_dir):
    with open(os.path.join(export_dir, "model.json")) as f:
        manifest = json.load(f)
    if manifest.get("format_version") != 1:
        raise SystemExit(f"{export_dir}/model.json: format_version {manifest.get('format_version')}, this script reads 1")
    arch = manifest["architecture"]
    name, width = arch["name"], arch["stem_width"]
    if name not in DEPTHS or arch["widths"] != [width, 2 * width, 4 * width, 8 * width] \
            or arch["depths"] != [DEPTHS[name]] * 4:
        raise SystemExit(f"{export_dir}/model.json: architecture {arch} is not one peer_simclr.py builds")
    weights = os.path.join(export_dir, manifest["weights"]["file"])
    with open(weights, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != manifest["weights"]["sha256"]:
        raise SystemExit(f"{weights} has SHA-256 {digest}, model.json records {manifest['weights']['sha256']}")
    model = ContrastiveModel(name, width, manifest["input"]["channels"], arch["projector_hidden_dim"],
                             arch["projector_out_dim"])
    state = {key: torch.from_numpy(value.copy()) for key, value in read_safetensors(weights).items()}
    model.load_state_dict(state, strict=True)
    return model.eval(), manifest


def resize_taps(src_size, out_size, scale):
    """data/Resize.taps: output i reads source[start[i] + k] with weight[i, k] (0 beyond the filter's reach)."""
    filter_scale = max(1.0, 1.0 / scale)
    crop_origin = (src_size - out_size / scale) / 2
    stride = math.ceil(2 * filter_scale) + 2
    start = np.zeros(out_size, np.int64)
    weights = np.zeros((out_size, stride), np.float32)
    for i in range(out_size):
        center = crop_origin + (i + 0.5) / scale
        lo = max(0, math.floor(center - filter_scale))
        hi = min(src_size, math.ceil(center + filter_scale))
        row = [max(0.0, 1 - abs((j + 0.5 - center) / filter_scale)) for j in range(lo, hi)]
        total = 0.0
        for weight in row:  # summed in double, in order, as Java does
            total += weight
        weights[i, :hi - lo] = np.array(row, np.float32) / np.float32(total)
        start[i] = lo
    return start, weights


def apply_taps(source, start, weights, axis):
    """Sum over the taps in float32, one tap at a time (Java's order); zero-weight taps add exactly 0."""
    size = source.shape[axis]
    total = np.zeros(source.shape[:axis] + (len(start),) + source.shape[axis + 1:], np.float32)
    for k in range(weights.shape[1]):
        taken = np.take(source, np.minimum(start + k, size - 1), axis=axis)
        weight = weights[:, k].reshape((-1,) + (1,) * (source.ndim - axis - 1))
        total = total + taken * weight
    return total


def balcon_pixels(image, channels, height, width):
    """data/ImageDecoder.decode of a decoded image: channels x height x width uint8, as balcon computes them."""
    rgb = np.asarray(image.convert("RGB"), np.float32).transpose(2, 0, 1)  # gray files are repeated, as in Java
    if channels == 1:
        planes = (rgb[0] * np.float32(0.299) + rgb[1] * np.float32(0.587)) + rgb[2] * np.float32(0.114)
        planes = planes[None]
    else:
        planes = rgb
    src_height, src_width = planes.shape[1:]
    scale = max(height / src_height, width / src_width)
    rows = apply_taps(planes, *resize_taps(src_width, width, scale), axis=2)
    out = apply_taps(rows, *resize_taps(src_height, height, scale), axis=1)
    # Java's Math.round(float) is floor(x + 0.5); x + 0.5 is exact in float32 below 256
    return np.clip(np.floor(out + np.float32(0.5)), 0, 255).astype(np.uint8)


def pil_pixels(image, channels, height, width):
    """The same intent in plain PIL: convert, then one Image.resize with the centre-crop box."""
    from PIL import Image
    image = image.convert("L" if channels == 1 else "RGB")
    scale = max(height / image.height, width / image.width)
    left, top = (image.width - width / scale) / 2, (image.height - height / scale) / 2
    box = (left, top, left + width / scale, top + height / scale)
    resized = np.asarray(image.resize((width, height), Image.BILINEAR, box=box, reducing_gap=None))
    return resized[None] if channels == 1 else resized.transpose(2, 0, 1)


def read_files(root, ids, channels, height, width):
    from PIL import Image
    ours, pils = [], []
    for image_id in ids:
        path = os.path.join(root, *image_id.split("/"))
        with Image.open(path) as image:
            image.load()
            ours.append(balcon_pixels(image, channels, height, width))
            pils.append(pil_pixels(image, channels, height, width))
    return np.stack(ours), np.stack(pils)


class Comparison:
    """Largest |features - reference| over the batches seen, and where."""

    def __init__(self):
        self.largest, self.largest_relative, self.worst_row = 0.0, 0.0, -1

    def add(self, features, reference, rows):
        difference = np.abs(features - reference)
        if difference.max() > self.largest:
            self.largest = float(difference.max())
            self.worst_row = rows[int(difference.max(axis=1).argmax())]
        self.largest_relative = max(self.largest_relative, float(
            (difference.max(axis=1) / np.abs(reference).max(axis=1).clip(1e-12)).max()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="export directory (model.json + model.safetensors)")
    parser.add_argument("--embeddings", required=True, help="balcon embed's --out FILE (FILE.npy and FILE.csv)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--idx", help="IDX images of the embedded split, in the dataset's order")
    source.add_argument("--images", help="the --data folder of `balcon embed`; the CSV's ids are paths below it")
    parser.add_argument("--split", default="test", help="the split of the CSV whose rows are compared")
    parser.add_argument("--limit", type=int, default=0, help="compare only the first N rows of the split (0: all)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--l2-normalize", action="store_true", help="the embeddings were written with --l2-normalize")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, manifest = load_model(args.model)
    base = args.embeddings[:-4] if args.embeddings.endswith(".npy") else args.embeddings
    theirs = np.load(base + ".npy")
    with open(base + ".csv", newline="") as f:
        rows = [(int(r["row"]), r["id"]) for r in csv.DictReader(f) if r["split"] == args.split]
    if not rows:
        raise SystemExit(f"{base}.csv has no row of split '{args.split}'")
    if args.limit > 0:
        rows = rows[:args.limit]
    shape = manifest["input"]
    channels, height, width = shape["channels"], shape["height"], shape["width"]
    if args.idx:
        images = read_idx_images(args.idx)
        if images.shape[1:] != (height, width) or channels != 1:
            raise SystemExit(f"{args.idx}: images of {images.shape[1:]}, the encoder takes "
                             f"{channels}x{height}x{width}")
    mean = np.array(shape["mean"], np.float32).reshape(1, channels, 1, 1)
    std = np.array(shape["std"], np.float32).reshape(1, channels, 1, 1)

    def features(pixels):
        x = torch.from_numpy((pixels.astype(np.float32) / np.float32(255) - mean) / std)
        out = model.backbone(x).numpy()
        return out / np.linalg.norm(out, axis=1, keepdims=True) if args.l2_normalize else out

    checked, through_pil = Comparison(), Comparison()
    pixel_largest, pixel_differing, pixel_total = 0, 0, 0
    with torch.inference_mode():
        for start in range(0, len(rows), args.batch):
            chunk = rows[start:start + args.batch]
            chunk_rows = [row for row, _ in chunk]
            reference = theirs[chunk_rows]
            if args.idx:
                pixels = images[[int(image_id) for _, image_id in chunk]][:, None, :, :]
            else:
                pixels, pil = read_files(args.images, [image_id for _, image_id in chunk], channels, height, width)
                delta = np.abs(pixels.astype(np.int16) - pil.astype(np.int16))
                pixel_largest = max(pixel_largest, int(delta.max()))
                pixel_differing += int(np.count_nonzero(delta))
                pixel_total += delta.size
                through_pil.add(features(pil), reference, chunk_rows)
            checked.add(features(pixels), reference, chunk_rows)
    ok = checked.largest <= args.tolerance
    result = {"rows_compared": len(rows), "feature_dim": int(theirs.shape[1]), "max_abs_difference": checked.largest,
              "max_difference_relative_to_row_max": checked.largest_relative, "worst_row": checked.worst_row,
              "tolerance": args.tolerance, "torch": torch.__version__, "ok": ok}
    print(f"compared {len(rows)} images: largest |pytorch - balcon| = {checked.largest:.3g} (row {checked.worst_row})"
          f", {'within' if ok else 'ABOVE'} the tolerance {args.tolerance:g}"
          + ("" if args.idx else " (balcon's resize, re-implemented in numpy)"))
    if not args.idx:
        import PIL
        print(f"with PIL's own resize instead: pixels differ from balcon's in {pixel_differing} of {pixel_total} "
              f"values (largest {pixel_largest} levels of 255); largest |pytorch - balcon| = {through_pil.largest:.3g}"
              f" (row {through_pil.worst_row}); not checked against the tolerance")
        result["pil"] = {"version": PIL.__version__, "pixel_values_differing": pixel_differing,
                         "pixel_values": pixel_total, "pixel_max_abs_difference": pixel_largest,
                         "max_abs_difference": through_pil.largest,
                         "max_difference_relative_to_row_max": through_pil.largest_relative,
                         "worst_row": through_pil.worst_row}
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
