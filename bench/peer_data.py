#!/usr/bin/python3
"""Images, normalisation and augmentation recipes of the PyTorch peers, as balcon makes them.

Shared by peer_simclr.py (--mode e2e) and peer_train.py:

  load_dataset     Fashion-MNIST (IDX files, gzipped or not; 1 x 28 x 28) or an image folder (DIR/train/<class>/ and
                   DIR/test/<class>/ of JPEG/PNG files, class ids = sorted folder names, hidden entries ignored), each
                   image converted to RGB (grey repeated) or grey (PIL's ITU-R 601 luma) and resized as
                   dev.balcon.data.Resize does: scaled to cover the square with antialiased bilinear resampling, the
                   centre kept (PIL's resize of a float image with a box, which is the same filter), rounded half up.
                   Images are uint8 arrays N x H x W (one channel) or N x H x W x 3.
  stratified_limit a stratified draw of N images with numpy: per-class counts by largest remainder exactly as
                   dev.balcon.data.Subsets.proportionalCounts, the images of each class drawn at random with the seed.
                   balcon draws them with a hash of the pixels, so the two sides train on different images (the
                   same number of each class).
  normalization    per-channel mean and population std of the training images in [0, 1], as
                   dev.balcon.augment.Normalization.of (a constant channel gets std 1).
  named_recipe     the recipes of dev.balcon.augment.AugmentationRecipe, member for member, as the JSON balcon writes;
                   peer_augment.build_transform turns one into torchvision's pipeline.
"""
import gzip
import os

import numpy as np
from PIL import Image

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _range(low, high):
    return {"min": low, "max": high}


SIMCLR = {"name": "simclr", "randomCrop": True, "cropScale": _range(0.08, 1.0), "cropRatio": _range(3.0 / 4.0, 4.0 / 3.0),
          "flipProb": 0.5, "rotationDegrees": 0.0, "jitterProb": 0.8, "brightness": 0.8, "contrast": 0.8,
          "saturation": 0.8, "hue": 0.2, "grayscaleProb": 0.2, "blurProb": 0.5, "blurSigma": _range(0.1, 2.0),
          "cutoutProb": 0.0, "cutoutScale": _range(0.02, 0.33), "cutoutRatio": _range(0.3, 3.3)}
RECIPES = {
    "simclr": {},
    "simclr-no-blur": {"blurProb": 0.0},
    "simclr-no-color": {"jitterProb": 0.0, "grayscaleProb": 0.0},
    "simclr+rotation": {"rotationDegrees": 90.0},
    "simclr+cutout": {"cutoutProb": 0.5},
    # balcon's default for colour photo folders (AugmentationRecipe "simclr-photos", docs/data.md "Colour photos")
    "simclr-photos": {"cropScale": _range(0.08, 1.0), "brightness": 0.4, "contrast": 0.4, "saturation": 0.4,
                      "hue": 0.1},
    "none": {"randomCrop": False, "flipProb": 0.0, "jitterProb": 0.0, "grayscaleProb": 0.0, "blurProb": 0.0},
}
# balcon's pretrain default (AugmentationSettings.defaults): crops of 20% to 100%; simclr-photos keeps its own range
DEFAULT_CROP_SCALE = (0.2, 1.0)


def named_recipe(name, crop_scale=None, jitter_strength=None):
    """The recipe `name` with the crop area range `crop_scale` (None: balcon's default for that recipe) and SimCLR's
    colour-jitter strength s (None: the recipe's own), as balcon's AugmentationSettings.toRecipe()."""
    if name not in RECIPES:
        raise SystemExit("unknown recipe %r, expected one of %s" % (name, sorted(RECIPES)))
    recipe = dict(SIMCLR, **RECIPES[name])
    recipe["name"] = name
    if crop_scale is None and name != "simclr-photos":
        crop_scale = DEFAULT_CROP_SCALE
    if crop_scale is not None:
        recipe["cropScale"] = _range(float(crop_scale[0]), float(crop_scale[1]))
    if jitter_strength is not None:
        recipe.update(brightness=0.8 * jitter_strength, contrast=0.8 * jitter_strength,
                      saturation=0.8 * jitter_strength, hue=0.2 * jitter_strength)
    return recipe


def _read_idx(directory, base_name):
    for name, opener in ((base_name + ".gz", gzip.open), (base_name, open)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with opener(path, "rb") as f:
                return f.read()
    raise SystemExit("%s[.gz] not found in %s" % (base_name, directory))


def _idx_images(data):
    count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def _idx_labels(data):
    return np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64)


def load_fashion_mnist(directory=None):
    directory = directory or FASHION_MNIST_DIR
    train = _idx_images(_read_idx(directory, "train-images-idx3-ubyte"))
    train_labels = _idx_labels(_read_idx(directory, "train-labels-idx1-ubyte"))
    test = _idx_images(_read_idx(directory, "t10k-images-idx3-ubyte"))
    test_labels = _idx_labels(_read_idx(directory, "t10k-labels-idx1-ubyte"))
    return train, train_labels, test, test_labels, [str(c) for c in range(10)]


def cover_center_resize(image, size):
    """A PIL image ('L' or 'RGB') as a uint8 array of size x size (x 3): dev.balcon.data.Resize.coverAndCenterCrop.
    Each channel is resampled as a float image (PIL keeps 8-bit images in 8 bits between its two passes; balcon
    does not), over the box of the source that the scaled, centre-cropped image covers."""
    width, height = image.size
    scale = max(size / height, size / width)
    box_w, box_h = size / scale, size / scale
    left, top = (width - box_w) / 2, (height - box_h) / 2
    channels = image.split()
    planes = []
    for channel in channels:
        if (width, height) == (size, size):
            planes.append(np.asarray(channel, dtype=np.uint8))
            continue
        resized = channel.convert("F").resize((size, size), Image.BILINEAR, box=(left, top, left + box_w, top + box_h))
        values = np.floor(np.asarray(resized, dtype=np.float64) + 0.5)  # Java's Math.round: half up
        planes.append(np.clip(values, 0, 255).astype(np.uint8))
    return planes[0] if len(planes) == 1 else np.stack(planes, axis=-1)


def _visible(name):
    return not name.startswith(".") and name != "__MACOSX"


def _folder_files(root):
    """(class names, [(path, label)]) of a class-per-folder tree, as dev.balcon.data.ImageFolder lists it."""
    classes = sorted(entry for entry in os.listdir(root) if _visible(entry) and os.path.isdir(os.path.join(root, entry)))
    if not classes:
        raise SystemExit("image folder %s has no class sub-folders" % root)
    files = []
    for label, name in enumerate(classes):
        found = []
        for directory, folders, names in os.walk(os.path.join(root, name)):
            folders[:] = [f for f in folders if _visible(f)]
            found += [os.path.join(directory, f) for f in names
                      if _visible(f) and f.lower().endswith(IMAGE_EXTENSIONS)]
        files += [(path, label) for path in sorted(found)]
    return classes, files


def _load_files(files, size, channels):
    mode = "RGB" if channels == 3 else "L"
    shape = (len(files), size, size, 3) if channels == 3 else (len(files), size, size)
    images = np.empty(shape, dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int64)
    for i, (path, label) in enumerate(files):
        with Image.open(path) as image:
            images[i] = cover_center_resize(image.convert(mode), size)
        labels[i] = label
    return images, labels


def load_image_folder(root, size, channels):
    for split in ("train", "test"):
        if not os.path.isdir(os.path.join(root, split)):
            raise SystemExit("the peers read image folders with train/ and test/ sub-folders; %s has no %s/"
                             % (root, split))
    classes, train_files = _folder_files(os.path.join(root, "train"))
    test_classes, test_files = _folder_files(os.path.join(root, "test"))
    if test_classes != classes:
        raise SystemExit("train/ and test/ of %s have different class folders" % root)
    train, train_labels = _load_files(train_files, size, channels)
    test, test_labels = _load_files(test_files, size, channels)
    return train, train_labels, test, test_labels, classes


def load_dataset(dataset, data, size, channels):
    """(train images, train labels, test images, test labels, class names)."""
    if dataset == "fashion-mnist":
        if (size, channels) not in ((28, 1), (0, 0), (28, 0), (0, 1)):
            raise SystemExit("fashion-mnist images are 1 x 28 x 28, got --image-size %d --channels %d" % (size, channels))
        return load_fashion_mnist(data)
    if dataset == "imagefolder":
        if not data:
            raise SystemExit("--dataset imagefolder needs --data DIR")
        channels = channels or 3  # balcon's Datasets.DEFAULT_FOLDER_CHANNELS
        if channels not in (1, 3):
            raise SystemExit("--channels must be 1 or 3, got %d" % channels)
        return load_image_folder(data, size or 32, channels)  # DEFAULT_FOLDER_SIZE
    raise SystemExit("the peers read fashion-mnist and imagefolder, got --dataset %s" % dataset)


def proportional_counts(available, size):
    """dev.balcon.data.Subsets.proportionalCounts: floor shares, the rest one each to the largest remainders (ties to
    the lower class id)."""
    available = [int(a) for a in available]
    total = sum(available)
    if not 0 <= size <= total:
        raise SystemExit("subset size must be in [0, %d], got %d" % (total, size))
    counts = [size * a // total for a in available]
    remainders = [size * a % total for a in available]
    order = sorted(range(len(available)), key=lambda c: (-remainders[c], c))
    for c in order[:size - sum(counts)]:
        counts[c] += 1
    return counts


def stratified_limit(labels, size, seed, num_classes):
    """Ascending indices of a stratified draw of `size` images (all of them when size is 0 or >= their number)."""
    if size <= 0 or size >= len(labels):
        return np.arange(len(labels))
    counts = proportional_counts(np.bincount(labels, minlength=num_classes), size)
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), counts[c], replace=False) for c in range(num_classes)]
    return np.sort(np.concatenate(chosen))


def channels_of(images):
    return 1 if images.ndim == 3 else images.shape[-1]


def normalization(images):
    """Per-channel mean and population std of uint8 images scaled to [0, 1], as float32 values."""
    channels = channels_of(images)
    mean, std = [], []
    for c in range(channels):
        plane = images if channels == 1 else images[..., c]
        counts = np.bincount(plane.reshape(-1), minlength=256).astype(np.float64)
        values = np.arange(256) / 255.0
        m = (counts * values).sum() / counts.sum()
        squares = (counts * (values - m) ** 2).sum()
        mean.append(float(np.float32(m)))
        std.append(float(np.float32(np.sqrt(squares / counts.sum()))) if squares > 0 else 1.0)
    return mean, std


def to_tensor_batch(images, mean, std):
    """Normalised float32 N x C x H x W array of un-augmented images: (x / 255 - mean) / std."""
    array = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
    return (array.astype(np.float32) / 255.0 - mean) / std
