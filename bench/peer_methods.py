#!/usr/bin/python3
"""Reference numbers for balcon's methods (simclr, moco, simsiam, byol): two training steps of an independent PyTorch
implementation from fixed weights on fixed batches, written as the JSON fixture that
src/test/java/dev/balcon/train/MethodReferenceTest.java checks balcon against (the test itself needs no python).

The network is bench/peer_simclr.py's ContrastiveModel (the same architecture as dev.balcon.model.ContrastiveModel),
tiny so that the fixture stays small: resnet-small of width 1, one input channel, 8x8 images, projector 8 -> 4. The
predictor of simsiam and byol is Linear(4, 8, no bias) -> BatchNorm1d(8) -> ReLU -> Linear(8, 4), as
dev.balcon.model.PredictorHead. Batch-norm scales, shifts and running statistics are drawn at random too, so that
they matter. Both views go through each network in one forward pass (batch-norm statistics over all 2N views).

The methods, as solo-learn writes them (solo/losses/simsiam.py, byol.py; solo/utils/momentum.py):
  simclr   NT-Xent (tau 0.5) over the 2N projections
  simsiam  -cos(p1, sg(z2)) / 2 - cos(p2, sg(z1)) / 2, batch means
  byol     (2 - 2 cos(p1, sg(t2))) + (2 - 2 cos(p2, sg(t1))), batch means; the target t is a copy of the online
           backbone + projector, run in training mode without gradient, and after each optimiser step
           target = tau target + (1 - tau) online over the parameters, tau = 1 - (1 - tau_base)(cos(pi k / K) + 1) / 2
           for the 0-based step k of K
  moco     MoCo v2 (Chen et al. 2020) without shuffle: the key encoder, a copy of the model, runs both views in one
           forward pass in eval mode (batch norms on running statistics) without gradient; keys and queries are
           L2-normalised; loss = (l(q1, k2) + l(q2, k1)) / 2 against a queue of QUEUE unit keys (seeded Gaussian rows,
           normalised), l = InfoNCE = cross-entropy of [q.k+, q.queue] / tau with label 0 (tau 0.5; "moco"), or the
           balanced loss (-alpha q.k+ + lambda logsumexp(alpha [q.k+, q.queue])) / alpha (alpha 4, lambda 2;
           "moco_balanced"); after the optimiser step key = m key + (1 - m) query over every float entry of the
           state_dict (parameters and running statistics; m = MOCO_M constant), then the 2N keys (view 1's, then view
           2's) are written at rows (ptr + i) mod QUEUE and ptr advances by 2N (QUEUE = 16, 2N = 12: step 2 wraps)
SGD: momentum 0.9, weight decay 5e-4 on parameters of two or more dimensions only, learning rate 0.1.

Run with Debian's interpreter (python3-torch 1.13):
  /usr/bin/python3 bench/peer_methods.py --out src/test/resources/golden/methods.json
"""
import argparse
import copy
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_simclr import ContrastiveModel, nt_xent

BATCH, SIZE, WIDTH, HIDDEN, OUT = 6, 8, 1, 8, 4
LR, MOMENTUM, WEIGHT_DECAY, TAU_BASE, NT_XENT_TAU = 0.1, 0.9, 5e-4, 0.99, 0.5
STEPS, TOTAL_STEPS = [3, 4], 10
MOCO_M, QUEUE, BALANCED_ALPHA, BALANCED_LAMBDA = 0.9, 16, 4.0, 2.0


def predictor():
    return nn.Sequential(nn.Linear(OUT, HIDDEN, bias=False), nn.BatchNorm1d(HIDDEN), nn.ReLU(inplace=True),
                         nn.Linear(HIDDEN, OUT))


def randomise_batch_norms(module, generator):
    for child in module.modules():
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = child.num_features
            child.weight.data = torch.rand(n, generator=generator) + 0.5
            child.bias.data = torch.randn(n, generator=generator) * 0.1
            child.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            child.running_var.copy_(torch.rand(n, generator=generator) + 0.5)


def state(module):
    """[name, shape, values] per tensor of state_dict() but num_batches_tracked, in its order (balcon's order)."""
    return [[name, list(tensor.shape), [float("%.9g" % v) for v in tensor.detach().reshape(-1).tolist()]]
            for name, tensor in module.state_dict().items() if not name.endswith("num_batches_tracked")]


def sgd(parameters):
    parameters = list(parameters)
    return torch.optim.SGD([
        {"params": [p for p in parameters if p.dim() > 1], "weight_decay": WEIGHT_DECAY},
        {"params": [p for p in parameters if p.dim() <= 1], "weight_decay": 0.0}], lr=LR, momentum=MOMENTUM)


def tau(step):
    return 1 - (1 - TAU_BASE) * (math.cos(math.pi * step / TOTAL_STEPS) + 1) / 2


def run(method, model, head, batches):
    model, head = copy.deepcopy(model), copy.deepcopy(head)
    target = copy.deepcopy(model)
    optimizer = sgd(list(model.parameters()) + (list(head.parameters()) if method != "simclr" else []))
    losses = []
    for step, (view1, view2) in zip(STEPS, batches):
        optimizer.zero_grad(set_to_none=True)
        _, z = model(torch.cat([view1, view2]))
        if method == "simclr":
            loss = nt_xent(*z.chunk(2), NT_XENT_TAU)
        elif method == "simsiam":
            p1, p2 = head(z).chunk(2)
            z1, z2 = z.chunk(2)
            loss = -0.5 * (F.cosine_similarity(p1, z2.detach(), dim=-1).mean()
                           + F.cosine_similarity(p2, z1.detach(), dim=-1).mean())
        else:
            p1, p2 = head(z).chunk(2)
            with torch.no_grad():
                t1, t2 = target(torch.cat([view1, view2]))[1].chunk(2)

            def normalised_mse(p, t):
                return (2 - 2 * (F.normalize(p, dim=-1) * F.normalize(t, dim=-1)).sum(dim=-1)).mean()
            loss = normalised_mse(p1, t2) + normalised_mse(p2, t1)
        loss.backward()
        optimizer.step()
        if method == "byol":
            with torch.no_grad():
                rate = tau(step)
                for online, ema in zip(model.parameters(), target.parameters()):
                    ema.data = rate * ema.data + (1 - rate) * online.data
        losses.append(loss.item())
    final = {"model": state(model)}
    if method != "simclr":
        final["predictor"] = state(head)
    if method == "byol":
        final["target"] = state(target)
    return {"losses": losses, "final": final}


def run_moco(model, queue, batches, loss_name):
    model, queue, pointer = copy.deepcopy(model), queue.clone(), 0
    key = copy.deepcopy(model).eval()
    optimizer = sgd(model.parameters())

    def contrast(q, positive, negatives):
        pos = (q * positive).sum(dim=1, keepdim=True)
        logits = torch.cat([pos, q @ negatives.t()], dim=1)
        if loss_name == "nt_xent":
            return F.cross_entropy(logits / NT_XENT_TAU, torch.zeros(len(q), dtype=torch.long))
        return ((-BALANCED_ALPHA * pos.squeeze(1) + BALANCED_LAMBDA * torch.logsumexp(BALANCED_ALPHA * logits, dim=1))
                / BALANCED_ALPHA).mean()
    losses = []
    for view1, view2 in batches:
        optimizer.zero_grad(set_to_none=True)
        _, z = model(torch.cat([view1, view2]))
        q1, q2 = F.normalize(z, dim=1).chunk(2)
        with torch.no_grad():
            keys = F.normalize(key(torch.cat([view1, view2]))[1], dim=1)
        k1, k2 = keys.chunk(2)
        loss = (contrast(q1, k2, queue) + contrast(q2, k1, queue)) / 2
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            online = model.state_dict()
            for name, ema in key.state_dict().items():
                if ema.dtype.is_floating_point:
                    ema.copy_(MOCO_M * ema + (1 - MOCO_M) * online[name])
            for i in range(len(keys)):
                queue[(pointer + i) % QUEUE] = keys[i]
            pointer = (pointer + len(keys)) % QUEUE
        losses.append(loss.item())
    values = [float("%.9g" % v) for v in queue.reshape(-1).tolist()]
    return {"losses": losses, "final": {"model": state(model), "key_encoder": state(key),
                                        "queue": [list(queue.shape), values], "queue_pointer": pointer}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = ContrastiveModel("resnet-small", WIDTH, 1, HIDDEN, OUT)
    head = predictor()
    randomise_batch_norms(model, generator)
    randomise_batch_norms(head, generator)
    batches = [(torch.randn(BATCH, 1, SIZE, SIZE, generator=generator),
                torch.randn(BATCH, 1, SIZE, SIZE, generator=generator)) for _ in STEPS]
    # drawn after everything the other methods use, so that their numbers stay as they were
    queue = F.normalize(torch.randn(QUEUE, OUT, generator=generator), dim=1)
    fixture = {
        "source": "bench/peer_methods.py, torch " + torch.__version__,
        "arch": "resnet-small", "width": WIDTH, "projector_hidden": HIDDEN, "projector_out": OUT,
        "batch": BATCH, "size": SIZE, "learning_rate": LR, "momentum": MOMENTUM, "weight_decay": WEIGHT_DECAY,
        "tau_base": TAU_BASE, "nt_xent_tau": NT_XENT_TAU, "steps": STEPS, "total_steps": TOTAL_STEPS,
        "batches": [[[float("%.9g" % v) for v in view.reshape(-1).tolist()] for view in pair] for pair in batches],
        "moco_momentum": MOCO_M, "queue_size": QUEUE, "balanced_alpha": BALANCED_ALPHA,
        "balanced_lambda": BALANCED_LAMBDA,
        "initial": {"model": state(model), "predictor": state(head),
                    "queue": [list(queue.shape), [float("%.9g" % v) for v in queue.reshape(-1).tolist()]]},
        "methods": {method: run(method, model, head, batches) for method in ("simclr", "simsiam", "byol")},
    }
    fixture["methods"]["moco"] = run_moco(model, queue, batches, "nt_xent")
    fixture["methods"]["moco_balanced"] = run_moco(model, queue, batches, "balanced")
    with open(args.out, "w") as out:
        json.dump(fixture, out, separators=(",", ":"))
        out.write("\n")
    print(json.dumps({method: result["losses"] for method, result in fixture["methods"].items()}))


if __name__ == "__main__":
    main()
