#!/usr/bin/python3
"""torchvision peer of balcon's augmentation pipeline: views per second of the same recipe on the same images.

balcon's `bench --augment-only` writes the images (uint8, N x C x H x W) to a raw file and passes the recipe
as JSON (dev.balcon.augment.AugmentationRecipe, every member) with the normalisation statistics. This script
builds the torchvision pipeline member for member, in balcon's order:

  RandomResizedCrop(size, scale, ratio)           (or Resize when the recipe has no random crop)
  RandomHorizontalFlip(flipProb)
  RandomRotation(rotationDegrees)                  when > 0
  RandomApply([ColorJitter(b, c, s, h)], jitterProb)
  RandomGrayscale(grayscaleProb)                   3-channel images only, as balcon
  RandomApply([GaussianBlur(kernel, blurSigma)], blurProb)
  ToTensor(), Normalize(mean, std)
  RandomErasing(cutoutProb, cutoutScale, cutoutRatio) when cutoutProb > 0

Each image is turned into a PIL image first (Image.fromarray), as torchvision's datasets do per access.
Two measurements, each after a warm-up, for --seconds:
  single   one process, torch.set_num_threads(1): transform one view after another
  loader   DataLoader(num_workers=--workers, batch_size=--batch) of two views per image, as in training
Prints one JSON line: {"single_views_per_s": ..., "loader_views_per_s": ..., ...}.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14):
  /usr/bin/python3 bench/peer_augment.py --images FILE --shape N,C,H,W --recipe-json '{...}' --mean 0.5 --std 0.25
"""
import argparse
import json
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T


def kernel_size_for(side):
    """balcon's GaussianBlur.kernelSizeFor: 10% of the side, made odd, at least 3."""
    size = side // 10
    if size % 2 == 0:
        size += 1
    return max(3, size)


def build_transform(recipe, channels, height, width, mean, std):
    steps = []
    if recipe["randomCrop"]:
        steps.append(T.RandomResizedCrop((height, width), scale=(recipe["cropScale"]["min"], recipe["cropScale"]["max"]),
                                         ratio=(recipe["cropRatio"]["min"], recipe["cropRatio"]["max"])))
    else:
        steps.append(T.Resize((height, width)))
    if recipe["flipProb"] > 0:
        steps.append(T.RandomHorizontalFlip(recipe["flipProb"]))
    if recipe["rotationDegrees"] > 0:
        steps.append(T.RandomRotation(recipe["rotationDegrees"]))
    strengths = [recipe[k] for k in ("brightness", "contrast", "saturation", "hue")]
    if recipe["jitterProb"] > 0 and any(s > 0 for s in strengths):
        steps.append(T.RandomApply([T.ColorJitter(*strengths)], p=recipe["jitterProb"]))
    if recipe["grayscaleProb"] > 0 and channels == 3:
        steps.append(T.RandomGrayscale(recipe["grayscaleProb"]))
    if recipe["blurProb"] > 0:
        kernel = kernel_size_for(min(height, width))
        sigma = (recipe["blurSigma"]["min"], recipe["blurSigma"]["max"])
        steps.append(T.RandomApply([T.GaussianBlur(kernel, sigma)], p=recipe["blurProb"]))
    steps += [T.ToTensor(), T.Normalize(mean, std)]
    if recipe["cutoutProb"] > 0:
        steps.append(T.RandomErasing(recipe["cutoutProb"], scale=(recipe["cutoutScale"]["min"], recipe["cutoutScale"]["max"]),
                                     ratio=(recipe["cutoutRatio"]["min"], recipe["cutoutRatio"]["max"])))
    return T.Compose(steps)


class TwoViews(torch.utils.data.Dataset):
    """Images as uint8 H x W (x C) arrays, turned into PIL images on access, two views each."""

    def __init__(self, images, transform):
        self.images = images
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def pil(self, index):
        array = self.images[index]
        return Image.fromarray(array, mode="L" if array.ndim == 2 else "RGB")

    def __getitem__(self, index):
        image = self.pil(index)
        return self.transform(image), self.transform(image)


def time_single(dataset, seconds, warmup_seconds):
    """Views per second of one process transforming one view after another."""
    count = len(dataset)
    index = 0
    deadline = time.perf_counter() + warmup_seconds
    while time.perf_counter() < deadline:
        dataset.transform(dataset.pil(index % count))
        index += 1
    views = 0
    start = time.perf_counter()
    while True:
        for _ in range(64):
            dataset.transform(dataset.pil(index % count))
            index += 1
        views += 64
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return views / elapsed


def time_loader(dataset, workers, batch, seconds, warmup_batches):
    """Views per second of a DataLoader delivering batches of two views per image."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True,
                                         num_workers=workers, persistent_workers=workers > 0)

    def batches():
        while True:
            yield from loader

    stream = batches()
    for _ in range(warmup_batches):
        next(stream)
    views = 0
    start = time.perf_counter()
    while True:
        view1, view2 = next(stream)
        views += view1.shape[0] + view2.shape[0]
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return views / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", required=True, help="raw uint8 file, N x C x H x W")
    parser.add_argument("--shape", required=True, help="N,C,H,W")
    parser.add_argument("--recipe-json", required=True)
    parser.add_argument("--mean", required=True, help="per-channel mean, comma-separated")
    parser.add_argument("--std", required=True, help="per-channel std, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    n, c, h, w = (int(v) for v in args.shape.split(","))
    images = np.fromfile(args.images, dtype=np.uint8).reshape(n, c, h, w)
    images = images[:, 0] if c == 1 else np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    mean = [float(v) for v in args.mean.split(",")]
    std = [float(v) for v in args.std.split(",")]
    recipe = json.loads(args.recipe_json)
    dataset = TwoViews(images, build_transform(recipe, c, h, w, mean, std))

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one process, one thread: what each DataLoader worker gets too
    single = time_single(dataset, args.seconds, warmup_seconds=1.0)
    loader = time_loader(dataset, args.workers, args.batch, args.seconds, warmup_batches=2)
    print(json.dumps({"single_views_per_s": single, "loader_views_per_s": loader, "workers": args.workers,
                      "batch": args.batch, "images": n, "shape": [c, h, w], "recipe": recipe["name"],
                      "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
