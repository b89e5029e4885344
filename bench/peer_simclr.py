#!/usr/bin/python3
"""PyTorch peer of balcon's SimCLR training step, the speed target balcon is measured against.

Same architecture as dev.balcon.model.ContrastiveModel: a ResNet with the CIFAR stem (3x3 conv stride 1,
BN, ReLU, no max-pool), BasicBlocks, stages of widths w, 2w, 4w, 8w with strides 1, 2, 2, 2, global
average pooling, then the projector Linear(no bias) -> BN -> ReLU -> Linear(no bias) -> BN -> ReLU ->
Linear(bias). Convolutions are initialised kaiming-normal (fan_out) as in torchvision.

Loss: NT-Xent (tau 0.5) over both views; optimiser: SGD, momentum 0.9, weight decay 5e-4 on the parameters of two or
more dimensions (balcon's SgdMomentum exempts biases and batch-norm parameters).
Both views go through the network in one forward pass (batch-norm statistics over all 2N views, as in
SimCLR and as balcon does).

Modes:
  step  times the compute step alone (forward both views + loss + backward + optimiser step) on fixed
        random tensors: warm-up steps, then the median of --steps steps.
  e2e   trains on --dataset fashion-mnist or imagefolder (--data DIR with train/ and test/, resized to --size with
        --in-channels as balcon loads it; peer_data.py), normalised by the training images' per-channel mean and std,
        with balcon's augmentation recipe in torchvision (--recipe-json, as `balcon bench` hands it over, or --recipe
        with --crop-min; peer_augment.build_transform) in a DataLoader with --workers workers, for --steps steps
        after the warm-up ones.
  embed inference, as `balcon embed` does it: a fixed batch of random uint8 images is normalised
        ((pixel / 255 - mean) / std) and goes through the backbone in eval mode under torch.inference_mode(),
        features back as a numpy array; --weights loads an export's model.safetensors. The median over --steps
        batches after the warm-up ones. --threads 0 keeps torch's default thread count.
  breakdown  the compute step's phases timed one by one (create, forward, loss, backward, optimizer, close),
        medians over --steps steps, as `balcon bench --breakdown` times balcon's; --profile FILE runs one
        more step after the warm-up, not timed, under torch.profiler and writes its Chrome trace there.
  matmul  the machine's reference speed: GFLOP/s of a --matmul-size square matmul in float32 and bfloat16.
--precision bf16 runs the forward pass under torch.autocast("cpu", bfloat16); the loss stays float32.
Every mode reports the BLAS library the process loaded (see blas_library). All print one JSON line.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14):
  /usr/bin/python3 bench/peer_simclr.py --mode step --arch resnet-small --width 32 --batch 256
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
DEPTHS = {"resnet-small": 1, "resnet18": 2}


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return self.relu(out)


class ContrastiveModel(nn.Module):
    def __init__(self, arch, width, in_channels, proj_hidden, proj_out, channels_last=False):
        super().__init__()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        widths = [width, 2 * width, 4 * width, 8 * width]
        layers = [nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        channels = width
        for stage, stage_width in enumerate(widths):
            for block in range(DEPTHS[arch]):
                layers.append(BasicBlock(channels, stage_width, 2 if stage > 0 and block == 0 else 1))
                channels = stage_width
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.backbone = nn.Sequential(*layers)
        self.projector = nn.Sequential(
            nn.Linear(channels, proj_hidden, bias=False), nn.BatchNorm1d(proj_hidden), nn.ReLU(inplace=True),
            nn.Linear(proj_hidden, proj_hidden, bias=False), nn.BatchNorm1d(proj_hidden), nn.ReLU(inplace=True),
            nn.Linear(proj_hidden, proj_out))
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x):
        # channels_last: PyTorch's performance guide for CPU convolutions (weights and input in NHWC order)
        features = self.backbone(x.contiguous(memory_format=self.memory_format))
        return features, self.projector(features)


def nt_xent(z1, z2, tau):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (z @ z.t()) / tau
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, positives)


def autocast(precision):
    """bf16: torch.autocast on the CPU (convolutions and matmuls in bfloat16, weights and optimiser state float32);
    fp32: nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()


def train_step(model, optimizer, view1, view2, tau, precision="fp32"):
    optimizer.zero_grad(set_to_none=True)
    with autocast(precision):
        _, z = model(torch.cat([view1, view2]))
    z1, z2 = z.float().chunk(2)  # the loss in float32, as balcon computes it
    loss = nt_xent(z1, z2, tau)
    loss.backward()
    optimizer.step()
    return loss.item()


def read_safetensors(path):
    """name -> numpy array, from a safetensors file: 8-byte little-endian header length, JSON header, raw data."""
    types = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    with open(path, "rb") as f:
        raw = f.read()
    header_length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_length])
    data = raw[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = np.dtype(types[entry["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data[begin:end], dtype).reshape(entry["shape"])
    return tensors


def matmul_gflops(n, dtype, repeats=5):
    """GFLOP/s (2 n^3 per product) of an n x n by n x n matmul, the median of `repeats` after two untimed."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=generator).to(dtype)
    b = torch.randn(n, n, generator=generator).to(dtype)
    for _ in range(2):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def blas_library():
    """The BLAS this process loaded: Debian's torch always says BLAS_INFO=generic and uses whatever libblas.so.3
    the alternatives system points to, so the mapped files are what tell OpenBLAS from the reference BLAS."""
    libraries = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                libraries.add(os.path.realpath(path))
    optimised = [path for path in libraries if any(name in path.lower() for name in ("openblas", "mkl", "blis"))]
    blas_info = [part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ").split()
                 if part.startswith("BLAS_INFO=")]
    return {"blas": "optimised" if optimised else "reference", "blas_files": sorted(libraries),
            "blas_info": blas_info[0] if blas_info else "unknown"}


def run_embed_mode(args):
    model = ContrastiveModel(args.arch, args.width, args.in_channels, args.proj_hidden, args.proj_out,
                             args.channels_last)
    if args.weights:
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in read_safetensors(args.weights).items()},
                              strict=True)
    backbone = model.eval().backbone
    mean = torch.tensor([float(v) for v in args.mean.split(",")]).view(1, -1, 1, 1)
    std = torch.tensor([float(v) for v in args.std.split(",")]).view(1, -1, 1, 1)
    pixels = torch.from_numpy(np.random.default_rng(args.seed).integers(
        0, 256, (args.batch, args.in_channels, args.size, args.size), dtype=np.uint8))

    def embed():
        with torch.inference_mode(), autocast(args.precision):
            images = ((pixels.float() / 255 - mean) / std).contiguous(memory_format=model.memory_format)
            return backbone(images).float().numpy()

    for _ in range(args.warmup):
        embed()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        embed()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    result = {"mode": "embed", "images_per_s": args.batch / median, "ms_per_batch_median": 1000 * median,
              "ms_per_batch_min": 1000 * min(times), "peak_rss_mb": peak_rss_mb(), "torch_threads": torch.get_num_threads()}
    result.update(blas_library())
    return result


def peak_rss_mb(who=resource.RUSAGE_SELF):
    if who == resource.RUSAGE_SELF:
        # VmHWM of this process alone: ru_maxrss survives exec on Linux, so when a JVM starts this script it would
        # report the JVM's peak instead of ours
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    return resource.getrusage(who).ru_maxrss / 1024.0  # kilobytes on Linux


def run_step_mode(args, model, optimizer):
    generator = torch.Generator().manual_seed(args.seed)
    shape = (args.batch, args.in_channels, args.size, args.size)
    view1, view2 = torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)
    for _ in range(args.warmup):
        train_step(model, optimizer, view1, view2, args.tau, args.precision)
    times, cpu_times = [], []
    for _ in range(args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        train_step(model, optimizer, view1, view2, args.tau, args.precision)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    median = statistics.median(times)
    # CPU time (all threads) is reported too: on a shared machine it is less disturbed by other processes
    return {"mode": "step", "views_per_s": 2 * args.batch / median, "ms_per_step_median": 1000 * median,
            "ms_per_step_min": 1000 * min(times), "cpu_ms_per_step_median": 1000 * statistics.median(cpu_times),
            "peak_rss_mb": peak_rss_mb()}


def run_breakdown_mode(args, model, optimizer):
    """The phases of train_step timed one by one, as balcon's StepBreakdown times TrainStep: create (the input tensor
    from the two views' arrays), forward, loss (and its value), backward, optimizer (step and zero_grad), close (the
    step's tensors released)."""
    rng = np.random.default_rng(args.seed)
    shape = (args.batch, args.in_channels, args.size, args.size)
    view1 = rng.standard_normal(shape, dtype=np.float32)
    view2 = rng.standard_normal(shape, dtype=np.float32)
    phases = ["create", "forward", "loss", "backward", "optimizer", "close"]
    times = {phase: [] for phase in phases}
    totals = []
    profiler = None
    profiled = 1 if args.profile else 0  # an extra step after the warm-up, not timed, as balcon's StepBreakdown
    for step in range(args.warmup + profiled + args.steps):
        if step == args.warmup and args.profile:
            profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True)
            profiler.__enter__()
        marks = [time.perf_counter()]
        images = torch.cat([torch.from_numpy(view1), torch.from_numpy(view2)])
        marks.append(time.perf_counter())
        with autocast(args.precision):
            _, z = model(images)
        marks.append(time.perf_counter())
        z1, z2 = z.float().chunk(2)
        loss = nt_xent(z1, z2, args.tau)
        loss.item()
        marks.append(time.perf_counter())
        loss.backward()
        marks.append(time.perf_counter())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        marks.append(time.perf_counter())
        del images, z, z1, z2, loss
        marks.append(time.perf_counter())
        if profiler is not None and step == args.warmup:
            profiler.__exit__(None, None, None)
            profiler.export_chrome_trace(args.profile)
        if step >= args.warmup + profiled:
            for phase, begin, end in zip(phases, marks, marks[1:]):
                times[phase].append(1000 * (end - begin))
            totals.append(1000 * (marks[-1] - marks[0]))
    return {"mode": "breakdown", "ms": {phase: statistics.median(values) for phase, values in times.items()},
            "ms_per_step_median": statistics.median(totals), "views_per_s": 2000 * args.batch / statistics.median(totals),
            "peak_rss_mb": peak_rss_mb()}


def run_e2e_mode(args, model, optimizer):
    import peer_data
    from peer_augment import TwoViews, build_transform
    images, labels, _, _, classes = peer_data.load_dataset(args.dataset, args.data, args.size, args.in_channels)
    images = images[peer_data.stratified_limit(labels, args.train_limit, args.data_seed, len(classes))]
    channels, size = peer_data.channels_of(images), images.shape[1]
    if (channels, size) != (args.in_channels, args.size):
        raise SystemExit("--dataset %s has %d x %d x %d images, the model was built for --in-channels %d --size %d"
                         % (args.dataset, channels, size, size, args.in_channels, args.size))
    mean, std = peer_data.normalization(images)
    recipe = json.loads(args.recipe_json) if args.recipe_json else peer_data.named_recipe(
        args.recipe, (args.crop_min, 1.0))
    loader = torch.utils.data.DataLoader(
        TwoViews(images, build_transform(recipe, channels, size, size, mean, std)), batch_size=args.batch,
        shuffle=True, drop_last=True, num_workers=args.workers, generator=torch.Generator().manual_seed(args.seed))
    batches = iter(loader)

    def next_batch():
        nonlocal batches
        try:
            return next(batches)
        except StopIteration:
            batches = iter(loader)
            return next(batches)

    losses = []
    for _ in range(args.warmup):
        view1, view2 = next_batch()
        losses.append(train_step(model, optimizer, view1, view2, args.tau, args.precision))
    step_times = []
    start = time.perf_counter()
    for _ in range(args.steps):
        step_start = time.perf_counter()
        view1, view2 = next_batch()  # waiting for the loader counts: this is the end-to-end rate
        losses.append(train_step(model, optimizer, view1, view2, args.tau, args.precision))
        step_times.append(time.perf_counter() - step_start)
    elapsed = time.perf_counter() - start
    del batches  # joins the workers, so that their peak memory is counted below
    images_per_s = args.steps * args.batch / elapsed
    return {"mode": "e2e", "images_per_s": images_per_s, "views_per_s": 2 * images_per_s,
            "ms_per_step_median": 1000 * statistics.median(step_times), "loss_first": losses[0],
            "loss_last": losses[-1], "dataset": args.dataset, "recipe": recipe["name"], "train_images": len(images),
            "mean": mean, "std": std, "peak_rss_mb": peak_rss_mb(),
            "peak_rss_largest_worker_mb": peak_rss_mb(resource.RUSAGE_CHILDREN)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["step", "e2e", "embed", "breakdown", "matmul"], default="step")
    parser.add_argument("--arch", choices=sorted(DEPTHS), default="resnet-small")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--in-channels", type=int, default=1)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--proj-hidden", type=int, default=512)
    parser.add_argument("--proj-out", type=int, default=128)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--tau", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--channels-last", action="store_true",
                        help="the model's weights and input in torch.channels_last (NHWC) memory format")
    parser.add_argument("--profile", help="breakdown mode: one more step after the warm-up, not timed, under torch.profiler; its Chrome trace here")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=["fashion-mnist", "imagefolder"], default="fashion-mnist",
                        help="--mode e2e: the images to train on")
    parser.add_argument("--data", help="--mode e2e: the dataset's folder (fashion-mnist: default %s)"
                        % FASHION_MNIST_DIR)
    parser.add_argument("--train-limit", type=int, default=0,
                        help="--mode e2e: a stratified draw of N training images (peer_data.stratified_limit); 0 = all")
    parser.add_argument("--data-seed", type=int, default=0, help="--mode e2e: seed of the --train-limit draw")
    parser.add_argument("--recipe", default="simclr", help="--mode e2e: balcon's recipe name (peer_data.RECIPES)")
    parser.add_argument("--crop-min", type=float, default=0.2, help="--mode e2e: --recipe's lower crop area bound")
    parser.add_argument("--recipe-json", help="--mode e2e: the whole recipe as balcon writes it (replaces --recipe "
                        "and --crop-min)")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: forward under torch.autocast(cpu, bfloat16), loss and optimiser in float32")
    parser.add_argument("--matmul-size", type=int, default=2048, help="--mode matmul: n of the n x n matmuls")
    parser.add_argument("--weights", help="--mode embed: model.safetensors of a balcon export")
    parser.add_argument("--mean", default="0.2860", help="--mode embed: per-channel input mean, comma-separated")
    parser.add_argument("--std", default="0.3530", help="--mode embed: per-channel input std, comma-separated")
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.mode == "matmul":
        result = {"mode": "matmul", "gflops": matmul_gflops(args.matmul_size, torch.float32),
                  "gflops_bf16": matmul_gflops(args.matmul_size, torch.bfloat16),
                  "torch": torch.__version__, "torch_threads": torch.get_num_threads()}
        result.update(blas_library())  # after the matmuls: the BLAS is mapped by then
        print(json.dumps(result))
        return
    if args.mode == "embed":
        result = run_embed_mode(args)
        result.update({"arch": args.arch, "width": args.width, "batch": args.batch, "torch": torch.__version__})
        print(json.dumps(result))
        return
    model = ContrastiveModel(args.arch, args.width, args.in_channels, args.proj_hidden, args.proj_out,
                             args.channels_last).train()
    # weight decay on parameters of two or more dimensions only, as balcon's SgdMomentum (not biases, not batch norm)
    optimizer = torch.optim.SGD([{"params": [p for p in model.parameters() if p.dim() > 1], "weight_decay": 5e-4},
                                 {"params": [p for p in model.parameters() if p.dim() <= 1], "weight_decay": 0.0}],
                                lr=args.lr, momentum=0.9)
    modes = {"step": run_step_mode, "e2e": run_e2e_mode, "breakdown": run_breakdown_mode}
    result = modes[args.mode](args, model, optimizer)
    result.update(blas_library())
    result.update({"precision": args.precision, "arch": args.arch, "width": args.width, "batch": args.batch, "threads": args.threads,
                   "torch": torch.__version__, "channels_last": args.channels_last})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
