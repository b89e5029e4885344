#!/usr/bin/python3
"""Interoperability check: balcon's exported encoder, rebuilt in PyTorch, gives the features `balcon embed` wrote.

The architecture is bench/peer_simclr.py's ContrastiveModel (imported from it); the weights are read from the
export's model.safetensors with the standard library and numpy alone (8-byte little-endian header length, JSON
header, raw little-endian buffers), checked against model.json's SHA-256, and loaded with load_state_dict(strict).
The images are read from an IDX file (Fashion-MNIST, MNIST: already at the encoder's input size, so no resize is
involved) and normalised as model.json's `input` says: (pixel / 255 - mean[c]) / std[c]. The features are the
backbone's output in eval mode (batch-norm running statistics) under torch.inference_mode().

Prints the largest absolute difference between these features and the rows of `balcon embed`'s FILE.npy, as the
last line, in JSON; exits 1 if it exceeds --tolerance.

  ./balcon export --run-dir /tmp/fm --out /tmp/fm-export
  ./balcon embed --model /tmp/fm-export --dataset fashion-mnist --split test --out /tmp/fm-emb
  /usr/bin/python3 bench/interop_check.py --model /tmp/fm-export --embeddings /tmp/fm-emb \\
      --idx /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --split test

Needs Debian's python3-torch (1.13) and numpy; nothing else.
"""
import argparse
import csv
import gzip
import hashlib
import json
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="export directory (model.json + model.safetensors)")
    parser.add_argument("--embeddings", required=True, help="balcon embed's --out FILE (FILE.npy and FILE.csv)")
    parser.add_argument("--idx", required=True, help="IDX images of the embedded split, in the dataset's order")
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
        rows = [(int(r["row"]), int(r["id"])) for r in csv.DictReader(f) if r["split"] == args.split]
    if not rows:
        raise SystemExit(f"{base}.csv has no row of split '{args.split}'")
    if args.limit > 0:
        rows = rows[:args.limit]
    images = read_idx_images(args.idx)
    shape = manifest["input"]
    if images.shape[1:] != (shape["height"], shape["width"]) or shape["channels"] != 1:
        raise SystemExit(f"{args.idx}: images of {images.shape[1:]}, the encoder takes "
                         f"{shape['channels']}x{shape['height']}x{shape['width']}")
    mean = np.float32(shape["mean"][0])
    std = np.float32(shape["std"][0])

    largest, largest_relative, worst_row = 0.0, 0.0, -1
    with torch.inference_mode():
        for start in range(0, len(rows), args.batch):
            chunk = rows[start:start + args.batch]
            pixels = images[[image_id for _, image_id in chunk]].astype(np.float32) / np.float32(255)
            x = torch.from_numpy(((pixels - mean) / std)[:, None, :, :])
            ours = model.backbone(x).numpy()
            if args.l2_normalize:
                ours = ours / np.linalg.norm(ours, axis=1, keepdims=True)
            reference = theirs[[row for row, _ in chunk]]
            difference = np.abs(ours - reference)
            if difference.max() > largest:
                largest = float(difference.max())
                worst_row = chunk[int(difference.max(axis=1).argmax())][0]
            largest_relative = max(largest_relative, float((difference.max(axis=1)
                                                            / np.abs(reference).max(axis=1).clip(1e-12)).max()))
    result = {"rows_compared": len(rows), "feature_dim": int(theirs.shape[1]), "max_abs_difference": largest,
              "max_difference_relative_to_row_max": largest_relative, "worst_row": worst_row,
              "tolerance": args.tolerance, "torch": torch.__version__, "ok": largest <= args.tolerance}
    print(f"compared {len(rows)} images: largest |pytorch - balcon| = {largest:.3g} (row {worst_row}), "
          f"{'within' if result['ok'] else 'ABOVE'} the tolerance {args.tolerance:g}")
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
