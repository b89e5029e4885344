#!/usr/bin/python3
"""PyTorch peer of `balcon pretrain` + `balcon knn` + `balcon linear`: a whole SimCLR run and its evaluation, for
accuracy parity with balcon on the same model, recipe, batch, schedule and budget.

What it mirrors (the balcon class in brackets):
  data      Fashion-MNIST or an image folder with train/ and test/, loaded once as balcon loads them (peer_data.py:
            cover resize + centre crop with antialiased bilinear, grey repeated to RGB); --train-limit N is a
            stratified draw with balcon's per-class counts, but drawn with numpy, so not the same images as balcon's
  normalise per-channel mean and population std of the training images (after the limit) [Normalization.of]
  augment   torchvision pipeline of the named recipe, member for member [AugmentationRecipe; peer_augment.py]:
            RandomResizedCrop(scale --crop-scale, default 0.2,1 as `pretrain`; ratio 3/4..4/3), flip 0.5,
            ColorJitter(0.8, 0.8, 0.8, 0.2) with p 0.8, RandomGrayscale 0.2 (3 channels), GaussianBlur p 0.5 with
            sigma 0.1..2 and a kernel of 10% of the side made odd, at least 3; cutout = RandomErasing
  model     peer_simclr.ContrastiveModel (ResNet with the CIFAR stem, projector 512/128) [ContrastiveModel]
  train     both views in one forward pass, NT-Xent (tau 0.5) or --loss balanced (alpha 4, lambda 2: cosine, the
            other view's N images as candidates, the positive among them, divided by alpha) [ContrastiveLoss]; SGD momentum 0.9, weight decay 5e-4 on parameters of
            two or more dimensions only (not biases, not batch-norm) [SgdMomentum]; learning rate per step: linear
            warm-up lr (k + 1) / W for the W = round(warmup_epochs x steps_per_epoch) first steps, then
            lr (1 + cos(pi (k - W) / (K - W))) / 2, never zero [LearningRateSchedule]; steps per epoch
            = floor(images / batch) (the last partial batch dropped) [TwoViewLoader]; no learning-rate scaling by batch
  k-NN      backbone features (before the projector) of the un-augmented normalised images in eval mode; memory bank =
            the whole train split (never the limited subset), queries = the test split; the k = 200 most
            cosine-similar memory images vote with weight exp(s / 0.1) [KnnClassifier, Evaluation]
  linear    the same features standardised with the train split's per-dimension mean and population std; multinomial
            logistic regression from zero, objective mean cross-entropy + (l2 / 2) |W|^2 (bias not penalised, l2 1e-3),
            full-batch L-BFGS, history 10, at most 300 iterations [LinearProbe, SoftmaxObjective]
What differs:
  - the train-limit draw (numpy, not balcon's pixel-hash draw), the augmentation's random numbers, the shuffling and
    the initial weights (same distributions, other generators);
  - the L-BFGS: torch.optim.LBFGS with a strong-Wolfe line search in float64 (balcon: its own L-BFGS with Armijo
    backtracking, objective in float32 with double accumulation), stopping at max |grad| <= 1e-5 or a change <= 1e-9;
  - JPEG decoding (libjpeg through PIL against javax.imageio) may differ by a level here and there, and PIL's
    ITU-R 601 grey conversion rounds in integers.

Prints a progress line per epoch on stderr and one JSON line at the end on stdout.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14), e.g. next to
`balcon pretrain --dataset imagefolder --data DIR --image-size 32 --width 16 --epochs 1`:
  /usr/bin/python3 bench/peer_train.py --dataset imagefolder --data DIR --image-size 32 --width 16 --epochs 1
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import peer_data
from peer_augment import TwoViews, build_transform
from peer_simclr import DEPTHS, ContrastiveModel, nt_xent, peak_rss_mb


class Schedule:
    """dev.balcon.train.LearningRateSchedule."""

    def __init__(self, lr, warmup_steps, total_steps):
        self.lr, self.warmup, self.total = lr, warmup_steps, total_steps

    def at(self, step):
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        progress = (step - self.warmup) / (self.total - self.warmup)
        return self.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def java_round(value):
    return math.floor(value + 0.5)


def balanced_loss(z1, z2, alpha, lam):
    """balcon's `balanced` preset (LossConfig.balanced): cosine similarity, the N views of the other augmentation as
    candidates (the positive among them), each anchor's loss (-alpha s+ + lambda logsumexp(alpha s)) / alpha, the
    mean over the 2N anchors."""
    s = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t()  # row i: anchor i of view 1 against view 2
    positive = s.diagonal()
    per_anchor = torch.cat([-alpha * positive + lam * torch.logsumexp(alpha * s, dim=1),
                            -alpha * positive + lam * torch.logsumexp(alpha * s.t(), dim=1)]) / alpha
    return per_anchor.mean()


def backbone_features(model, images, mean, std, batch=512):
    """Backbone features of un-augmented normalised images, eval mode, float32 N x D."""
    backbone = model.backbone.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            pixels = torch.from_numpy(peer_data.to_tensor_batch(images[start:start + batch], mean, std))
            out.append(backbone(pixels))
    return torch.cat(out)


def save_features(prefix, train, train_labels, test, test_labels, classes):
    """The layout of `balcon embed`'s FILE.npy and FILE.csv, so that one script can read both sides' features."""
    np.save(prefix + ".npy", torch.cat([train, test]).float().numpy())
    with open(prefix + ".csv", "w") as out:
        out.write("row,id,split,label\n")
        row = 0
        for split, labels in (("train", train_labels), ("test", test_labels)):
            for index, label in enumerate(labels):
                out.write("%d,%d,%s,%s\n" % (row, index, split, classes[label]))
                row += 1


def knn_top1(memory, memory_labels, queries, query_labels, num_classes, k, temperature, chunk=256):
    """dev.balcon.eval.KnnClassifier: weighted vote of the k most cosine-similar memory images."""
    memory = F.normalize(memory.float(), dim=1)
    memory_labels = torch.from_numpy(memory_labels)
    neighbours = min(k, memory.shape[0])
    correct = 0
    for start in range(0, queries.shape[0], chunk):
        query = F.normalize(queries[start:start + chunk].float(), dim=1)
        values, indices = (query @ memory.t()).topk(neighbours, dim=1)
        weights = torch.exp((values.double() - values[:, :1].double()) / temperature)
        scores = torch.zeros(query.shape[0], num_classes, dtype=torch.float64)
        scores.scatter_add_(1, memory_labels[indices], weights)
        predicted = scores.argmax(dim=1).numpy()  # the first of equal scores: the lower class id, as balcon
        correct += int((predicted == query_labels[start:start + chunk]).sum())
    return correct / len(query_labels)


def linear_probe(train, train_labels, test, test_labels, num_classes, iterations, l2):
    """dev.balcon.eval.LinearProbe with torch's L-BFGS (strong Wolfe) in float64: top-1, top-5 and iterations."""
    train = train.double()
    mean = train.mean(dim=0)
    std = ((train - mean) ** 2).mean(dim=0).sqrt().clamp_min(1e-12)
    x_train, x_test = (train - mean) / std, (test.double() - mean) / std
    y_train = torch.from_numpy(train_labels)
    weights = torch.zeros(x_train.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights, bias], lr=1, max_iter=iterations, max_eval=25 * iterations,
                                  tolerance_grad=1e-5, tolerance_change=1e-9, history_size=10,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x_train @ weights + bias, y_train) + l2 / 2 * (weights ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    state = optimizer.state[optimizer._params[0]]
    final = closure().item()
    with torch.no_grad():
        logits = x_test @ weights + bias
        labels = torch.from_numpy(test_labels)
        top1 = (logits.argmax(dim=1) == labels).double().mean().item()
        top5 = (logits.topk(min(5, num_classes), dim=1).indices == labels[:, None]).any(dim=1).double().mean().item()
    return top1, top5, state.get("n_iter", 0), final


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["fashion-mnist", "imagefolder"], default="fashion-mnist")
    parser.add_argument("--data", help="the dataset's folder (fashion-mnist: default %s)" % peer_data.FASHION_MNIST_DIR)
    parser.add_argument("--image-size", type=int, default=0, help="image folders: side in pixels (default 32)")
    parser.add_argument("--channels", type=int, default=0, help="image folders: 1 or 3 (default 3)")
    parser.add_argument("--train-limit", type=int, default=0, help="train on a stratified draw of N images; 0 = all")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the --train-limit draw")
    parser.add_argument("--arch", choices=sorted(DEPTHS), default="resnet-small")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--proj-hidden", type=int, default=512)
    parser.add_argument("--proj-out", type=int, default=128)
    parser.add_argument("--recipe", choices=list(peer_data.RECIPES), default="simclr")
    parser.add_argument("--crop-scale", help="MIN,MAX crop area (default 0.2,1 as `pretrain`; simclr-photos: its own 0.08,1)")
    parser.add_argument("--jitter-strength", type=float, help="SimCLR's colour-jitter strength s (default: the recipe's own)")
    parser.add_argument("--recipe-json", help="a whole recipe as balcon writes it (replaces --recipe and --crop-scale)")
    parser.add_argument("--loss", choices=["nt_xent", "balanced"], default="nt_xent")
    parser.add_argument("--tau", type=float, default=0.5, help="nt_xent's temperature")
    parser.add_argument("--alpha", type=float, default=4.0, help="balanced: inverse temperature")
    parser.add_argument("--lambda", dest="lam", type=float, default=2.0, help="balanced: weight of the repelling term")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--warmup-epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads; 0 keeps torch's default")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--knn-k", type=int, default=200)
    parser.add_argument("--knn-temperature", type=float, default=0.1)
    parser.add_argument("--iterations", type=int, default=300, help="linear probe: L-BFGS iterations at most")
    parser.add_argument("--l2", type=float, default=1e-3, help="linear probe: L2 weight on the weights")
    parser.add_argument("--no-linear", action="store_true", help="skip the linear probe")
    parser.add_argument("--save-features", metavar="PREFIX",
                        help="write the backbone features as `balcon embed` does: PREFIX.npy (float32 [N, d], train "
                             "then test) and PREFIX.csv (row, id = index in its split, split, label)")
    args = parser.parse_args()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load_start = time.perf_counter()
    train_all, train_labels_all, test, test_labels, classes = peer_data.load_dataset(
        args.dataset, args.data, args.image_size, args.channels)
    chosen = peer_data.stratified_limit(train_labels_all, args.train_limit, args.data_seed, len(classes))
    train = train_all[chosen]
    channels, size = peer_data.channels_of(train), train.shape[1]
    mean, std = peer_data.normalization(train)
    recipe = json.loads(args.recipe_json) if args.recipe_json else peer_data.named_recipe(
        args.recipe, [float(v) for v in args.crop_scale.split(",")] if args.crop_scale else None, args.jitter_strength)
    print("loaded %d train images (%d used), %d test images, %d x %d x %d, %d classes in %.1f s; mean %s std %s"
          % (len(train_all), len(train), len(test), channels, size, size, len(classes),
             time.perf_counter() - load_start, mean, std), file=sys.stderr, flush=True)

    steps_per_epoch = len(train) // args.batch_size
    if steps_per_epoch < 1:
        raise SystemExit("the training set has %d images, fewer than one batch of %d" % (len(train), args.batch_size))
    total_steps = steps_per_epoch * args.epochs
    schedule = Schedule(args.lr, java_round(args.warmup_epochs * steps_per_epoch), total_steps)

    model = ContrastiveModel(args.arch, args.width, channels, args.proj_hidden, args.proj_out).train()
    decayed = [p for p in model.parameters() if p.dim() > 1]
    exempt = [p for p in model.parameters() if p.dim() <= 1]
    optimizer = torch.optim.SGD([{"params": decayed, "weight_decay": args.weight_decay},
                                 {"params": exempt, "weight_decay": 0.0}], lr=args.lr, momentum=args.momentum)
    loader = torch.utils.data.DataLoader(
        TwoViews(train, build_transform(recipe, channels, size, size, mean, std)), batch_size=args.batch_size,
        shuffle=True, drop_last=True, num_workers=args.workers, persistent_workers=args.workers > 0,
        generator=torch.Generator().manual_seed(args.seed))

    step = 0
    loss_value = float("nan")
    train_start = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        loss_sum = 0.0
        model.train()
        for view1, view2 in loader:
            lr = schedule.at(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            _, z = model(torch.cat([view1, view2]))
            z1, z2 = z.chunk(2)
            loss = nt_xent(z1, z2, args.tau) if args.loss == "nt_xent" else balanced_loss(z1, z2, args.alpha, args.lam)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
            step += 1
        if not math.isfinite(loss_sum):
            raise SystemExit("diverged in epoch %d: the loss became %s" % (epoch + 1, loss_sum))
        loss_value = loss_sum / steps_per_epoch
        seconds = time.perf_counter() - epoch_start
        print("epoch %d/%d loss %.4f lr %.4f %.1f s %.0f img/s" % (
            epoch + 1, args.epochs, loss_value, lr, seconds, steps_per_epoch * args.batch_size / seconds),
            file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - train_start
    del loader

    eval_start = time.perf_counter()
    train_features = backbone_features(model, train_all, mean, std)
    test_features = backbone_features(model, test, mean, std)
    if args.save_features:
        save_features(args.save_features, train_features, train_labels_all, test_features, test_labels, classes)
    knn = knn_top1(train_features, train_labels_all, test_features, test_labels, len(classes), args.knn_k,
                   args.knn_temperature)
    result = {"dataset": args.dataset, "image_size": size, "channels": channels, "arch": args.arch,
              "width": args.width, "epochs": args.epochs, "batch": args.batch_size, "seed": args.seed,
              "recipe": recipe["name"], "crop_scale": [recipe["cropScale"]["min"], recipe["cropScale"]["max"]],
              "lr": args.lr, "warmup_epochs": args.warmup_epochs, "loss": args.loss,
              "loss_parameters": {"tau": args.tau} if args.loss == "nt_xent" else {"alpha": args.alpha, "lambda": args.lam}, "train_images": len(train),
              "memory_images": len(train_all), "test_images": len(test), "steps": step, "final_loss": loss_value,
              "knn_top1": round(100 * knn, 2)}
    if not args.no_linear:
        top1, top5, iterations, objective = linear_probe(train_features, train_labels_all, test_features, test_labels,
                                                         len(classes), args.iterations, args.l2)
        result.update({"linear_top1": round(100 * top1, 2),
                       "linear_top5": round(100 * top5, 2) if len(classes) > 5 else None,
                       "linear_iterations": iterations, "linear_objective": objective})
    result.update({"train_seconds": train_seconds, "train_images_per_s": step * args.batch_size / train_seconds,
                   "eval_seconds": time.perf_counter() - eval_start, "peak_rss_mb": peak_rss_mb(),
                   "threads": torch.get_num_threads(), "workers": args.workers, "torch": torch.__version__})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
