#!/usr/bin/python3
"""Writes the small TorchScript modules of src/main/resources/dev/balcon/model/ that balcon runs through DJL's module
API (dev.balcon.model.TorchScriptOps) for what DJL 0.35.1 cannot ask libtorch for:

- to_bfloat16.pt and to_float32.pt (dev.balcon.model.Bfloat16). DJL 0.35.1 and 0.36.0 cannot make a bfloat16 tensor:
  NDArray.toType(DataType.BFLOAT16) and creating one from bytes pass DJL's dtype number to a native switch that has no
  case for it and aborts the JVM ("terminate called without an active exception"). A TorchScript module runs inside
  libtorch, which knows the type, so forward(x) returns x.to(torch.bfloat16), differentiable like any cast: the
  gradient flows back to the float32 input. The way back is a module too: DJL's toType(FLOAT32) of a bfloat16 array
  returns a result without a grad_fn (the backward pass would stop there).
- to_channels_last.pt (dev.balcon.model.ChannelsLast): x with channels-last strides (channel stride 1), x itself if it
  has them. DJL has no API for a tensor's memory format; on a channels-last input libtorch's oneDNN convolutions skip
  the reorder of every activation to and from oneDNN's blocked layout and return channels-last (docs/performance.md).
- sgd_momentum_step.pt (dev.balcon.train.SgdMomentum): the optimiser's whole update, a loop over the parameters in
  one native call instead of a few DJL operations (each a JNI call and a Java object) per parameter.

The archives are portable across libtorch versions (written here by Debian's torch 1.13, loaded by DJL's libtorch
2.7.1).

Run with Debian's interpreter: /usr/bin/python3 bench/make_cast_modules.py
"""
import os
from typing import List

import torch


class ToBfloat16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


class ToFloat32(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32)


class ToChannelsLast(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # contiguous(memory_format=channels_last) keeps a one-channel [B, 1, H, W] tensor's plain strides (it is
        # contiguous in both formats), which libtorch's convolutions read as the plain format; a copy into
        # channels-last strides (channel stride 1) is read as channels-last.
        if x.stride(1) == 1 and x.is_contiguous(memory_format=torch.channels_last):
            return x
        return torch.empty_like(x, memory_format=torch.channels_last).copy_(x)


class SgdMomentumStep(torch.nn.Module):
    def forward(self, weights: List[torch.Tensor], gradients: List[torch.Tensor], velocities: List[torch.Tensor],
                settings: torch.Tensor) -> torch.Tensor:
        learning_rate = float(settings[0])
        momentum = float(settings[1])
        weight_decay = float(settings[2])
        decay_from = int(settings[3])
        with torch.no_grad():
            for i in range(len(weights)):
                velocity = velocities[i].mul_(momentum).add_(gradients[i])
                if i >= decay_from:
                    velocity.add_(weights[i], alpha=weight_decay)
                # not add_(velocity, alpha=-learning_rate): an alpha beyond float32's range is an error, while a
                # product that overflows gives inf weights, which the training loop reports as a diverged run
                weights[i].sub_(velocity * learning_rate)
                gradients[i].zero_()
        return settings


if __name__ == "__main__":
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources", "dev", "balcon",
                          "model")
    for name, module in (("to_bfloat16.pt", ToBfloat16()), ("to_float32.pt", ToFloat32()),
                         ("to_channels_last.pt", ToChannelsLast()), ("sgd_momentum_step.pt", SgdMomentumStep())):
        out = os.path.normpath(os.path.join(folder, name))
        torch.jit.script(module).save(out)
        print(out)
