"""Training / fine-tuning the First Order Motion Model, one iteration exactly as the original `train.py`.

    trainer = FomTraining("data/fom/vox-256.yaml", "vox-cpk.pth.tar", vgg_state="vgg19-dcbb9e9d.pth")
    for epoch in range(trainer.epoch, trainer.num_epochs):
        trainer.set_epoch(epoch)                     # MultiStepLR over epoch_milestones
        for batch in batches:                        # {"source", "driving"}: (B, 3, H, W) in [0, 1]
            losses, generated = trainer.step(batch)
        trainer.save_checkpoint(path, epoch + 1)

The iteration (see shared/fixtures/fom-train/README.md): generator pass with every generator loss, backward,
Adam steps of generator then kp detector (each followed by zero_grad), then - when the GAN is on - the
discriminator's zero_grad (dropping what the generator pass accumulated in it), its pass on the detached
prediction, backward and step. Models stay in train mode (batch-statistics BatchNorm, one spectral-norm power
iteration per discriminator call).
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch
from torch import nn

from ..checkpoint import load_state_strict, load_untrusted, pick_device
from ..errors import CheckpointError, ModelInputError
from .config import FomConfig, load_config
from .discriminator import MultiScaleDiscriminator, scale_key
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .loading import build_models
from .losses import (discriminator_gan_loss, equivariance_jacobian_loss, equivariance_value_loss,
                     feature_matching_loss, generator_gan_loss, perceptual_loss)
from .pyramid import ImagePyramid
from .tps import TpsTransform
from .vgg import VGG_HINT, Vgg19, load_vgg19_state

CHECKPOINT_KEYS = ("generator", "discriminator", "kp_detector", "optimizer_generator",
                   "optimizer_discriminator", "optimizer_kp_detector", "epoch")
LOSS_NAMES = ("perceptual", "gen_gan", "feature_matching", "equivariance_value", "equivariance_jacobian",
              "disc_gan")


@dataclass
class TrainParams:
    """The original config's `train_params` section (values as in config/vox-256.yaml)."""
    num_epochs: int                      # epochs of a full run (a resumed run continues to this number)
    num_repeats: int                     # the dataset is repeated this many times per epoch
    epoch_milestones: list[int]          # MultiStepLR: lr x 0.1 at each of these epochs
    lr_generator: float                  # Adam learning rates, per network
    lr_discriminator: float
    lr_kp_detector: float                # 0 = the kp detector is frozen (its optimizer state is not resumed)
    batch_size: int
    scales: list[float]                  # image pyramid scales of the perceptual loss
    checkpoint_freq: int                 # the original writes a checkpoint every N epochs
    transform_params: dict[str, float]   # sigma_affine, sigma_tps, points_tps of the equivariance TPS
    loss_weights: dict[str, Any]         # generator_gan, discriminator_gan, feature_matching[], perceptual[], ...
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def uses_gan(self) -> bool:
        return self.loss_weights.get("generator_gan", 0) != 0


def parse_train_params(data: Mapping[str, Any] | None, *, source: str = "config") -> TrainParams:
    """Validate the `train_params` section; a clear error names what is missing."""
    if not isinstance(data, Mapping):
        raise ModelInputError(f"{source} has no train_params section, so it cannot train; use a training config "
                              "such as data/fom/vox-256.yaml or vox-adv-256.yaml")
    names = ("num_epochs", "epoch_milestones", "lr_generator", "lr_discriminator", "lr_kp_detector", "batch_size",
             "scales", "transform_params", "loss_weights")
    missing = [n for n in names if n not in data]
    if missing:
        raise ModelInputError(f"{source}: train_params lacks {', '.join(missing)}")
    weights = dict(data["loss_weights"])
    for key, default in (("generator_gan", 0), ("discriminator_gan", 1), ("feature_matching", []),
                         ("perceptual", []), ("equivariance_value", 0), ("equivariance_jacobian", 0)):
        weights.setdefault(key, default)
    return TrainParams(num_epochs=int(data["num_epochs"]), num_repeats=int(data.get("num_repeats", 1)),
                       epoch_milestones=[int(m) for m in data["epoch_milestones"] or []],
                       lr_generator=float(data["lr_generator"]), lr_discriminator=float(data["lr_discriminator"]),
                       lr_kp_detector=float(data["lr_kp_detector"]), batch_size=int(data["batch_size"]),
                       scales=list(data["scales"]), checkpoint_freq=int(data.get("checkpoint_freq", 1)),
                       transform_params=dict(data["transform_params"]), loss_weights=weights, raw=dict(data))


def build_discriminator(config: FomConfig) -> MultiScaleDiscriminator:
    """The multi-scale discriminator of `model_params.discriminator_params` (randomly initialised)."""
    params = (config.raw.get("model_params") or {}).get("discriminator_params")
    if not isinstance(params, Mapping):
        raise ModelInputError("config has no model_params.discriminator_params (needed to train)")
    return MultiScaleDiscriminator(**params, **config.common_params)


def _items(value) -> list[float]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class FomTraining:
    """Generator, kp detector and discriminator with their Adam optimizers, in train mode.

    `checkpoint_path`: resume weights, Adam states and epoch from an original-layout checkpoint (what the
    original's `Logger.load_cpk` does); a checkpoint without a discriminator (inference-only) starts that
    network and its optimizer fresh. `vgg_state`: torchvision-layout VGG19 weights (path or state dict);
    required when the perceptual loss is on (`perceptual=False` zeroes its weights).
    """

    def __init__(self, config_path: str | os.PathLike | FomConfig, checkpoint_path: str | os.PathLike | None = None,
                 *, vgg_state: str | os.PathLike | Mapping[str, Any] | None = None, device: Any = None,
                 dtype: torch.dtype = torch.float32, perceptual: bool = True, seed: int | None = None):
        self.config = config_path if isinstance(config_path, FomConfig) else load_config(config_path)
        source = "config" if isinstance(config_path, FomConfig) else os.fspath(config_path)
        self.params = parse_train_params(self.config.raw.get("train_params"), source=source)
        self.weights = self.params.loss_weights
        if not perceptual:
            self.weights["perceptual"] = [0 for _ in _items(self.weights["perceptual"])]
        self.device = pick_device(device)
        self.dtype = dtype
        # Draws of the equivariance transform (None: torch's global generator, as the original).
        self.rng = torch.Generator().manual_seed(seed) if seed is not None else None

        kp_detector, generator = build_models(self.config)
        discriminator = build_discriminator(self.config)
        self.epoch = 0
        self.messages: list[str] = []          # notes for the caller's log (e.g. a fresh discriminator)
        state = self._load(checkpoint_path, generator, kp_detector, discriminator) if checkpoint_path else None

        self.kp_detector: KPDetector = kp_detector.to(self.device, dtype).train()
        self.generator: OcclusionAwareGenerator = generator.to(self.device, dtype).train()
        self.discriminator: MultiScaleDiscriminator = discriminator.to(self.device, dtype).train()

        self.vgg: Vgg19 | None = None
        if sum(_items(self.weights["perceptual"])) != 0:
            if vgg_state is None:
                raise CheckpointError(f"the perceptual loss needs VGG19 weights: {VGG_HINT}")
            side = min(self.config.frame_shape[:2])
            small = [sc for sc in self.params.scales if side * sc < 16]
            if small:
                raise ModelInputError(f"train_params.scales {small} shrink {side}-px frames below 16 px, too small for "
                                      "VGG19's four poolings; drop those scales or use larger frames")
            self.vgg = Vgg19(load_vgg19_state(vgg_state)).to(self.device, dtype).eval()

        scales = list(dict.fromkeys(list(self.params.scales) + list(self.discriminator.scales)))
        self.pyramid = ImagePyramid(scales, self.generator.num_channels).to(self.device, dtype)

        betas = (0.5, 0.999)
        self.opt_generator = torch.optim.Adam(self.generator.parameters(), lr=self.params.lr_generator, betas=betas)
        self.opt_discriminator = torch.optim.Adam(self.discriminator.parameters(), lr=self.params.lr_discriminator,
                                                  betas=betas)
        self.opt_kp_detector = torch.optim.Adam(self.kp_detector.parameters(), lr=self.params.lr_kp_detector,
                                                betas=betas)
        self.base_lrs = {"generator": self.params.lr_generator, "discriminator": self.params.lr_discriminator,
                         "kp_detector": self.params.lr_kp_detector}
        if state is not None:
            self._load_optimizers(state, checkpoint_path)
        self.record_gradients = False        # when True, step() keeps a copy of every gradient (tests)
        self.gradients: dict[str, dict[str, torch.Tensor]] = {}

    # ----- checkpoints -------------------------------------------------------------------------------------
    def _load(self, path, generator, kp_detector, discriminator) -> dict:
        path = os.fspath(path)
        state = load_untrusted(path, map_location="cpu", what="FOM checkpoint")
        if not isinstance(state, dict) or not {"generator", "kp_detector"} <= set(state):
            raise CheckpointError(f"FOM checkpoint {path} has no 'generator' and 'kp_detector' entries; "
                                  "expected a first-order-model checkpoint such as vox-cpk.pth.tar")
        load_state_strict(generator, state["generator"], what=f"FOM checkpoint {path} [generator]")
        load_state_strict(kp_detector, state["kp_detector"], what=f"FOM checkpoint {path} [kp_detector]")
        if "discriminator" in state:
            load_state_strict(discriminator, state["discriminator"], what=f"FOM checkpoint {path} [discriminator]")
        else:
            self.messages.append(f"{path} has no discriminator: it starts randomly initialised")
        epoch = state.get("epoch", 0)
        self.epoch = int(epoch.item() if torch.is_tensor(epoch) else epoch)
        return state

    def _load_optimizers(self, state: dict, path) -> None:
        pairs = [("optimizer_generator", self.opt_generator), ("optimizer_discriminator", self.opt_discriminator)]
        if self.params.lr_kp_detector != 0:      # the original skips it for a frozen kp detector
            pairs.append(("optimizer_kp_detector", self.opt_kp_detector))
        for key, optimizer in pairs:
            if key not in state:
                self.messages.append(f"{os.fspath(path)} has no {key}: Adam starts fresh")
                continue
            try:
                optimizer.load_state_dict(state[key])
            except (ValueError, KeyError, RuntimeError) as exc:
                raise CheckpointError(f"FOM checkpoint {os.fspath(path)} [{key}] does not fit the model: "
                                      f"{str(exc)[:200]}") from None
        # Resumed Adam keeps the checkpoint's lr; the epoch's schedule (set_epoch) decides it instead.
        self.set_epoch(self.epoch)

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {"generator": self.generator.state_dict(), "kp_detector": self.kp_detector.state_dict(),
                "discriminator": self.discriminator.state_dict()}

    def checkpoint(self, epoch: int) -> dict[str, Any]:
        """Everything the original `Logger.save_cpk` writes (its seven keys)."""
        return {"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                "kp_detector": self.kp_detector.state_dict(),
                "optimizer_generator": self.opt_generator.state_dict(),
                "optimizer_discriminator": self.opt_discriminator.state_dict(),
                "optimizer_kp_detector": self.opt_kp_detector.state_dict(), "epoch": int(epoch)}

    def save_checkpoint(self, path: str | os.PathLike, epoch: int) -> None:
        """Write the checkpoint atomically (a crash mid-write leaves the previous file intact)."""
        path = os.fspath(path)
        tmp = path + ".part"
        torch.save(self.checkpoint(epoch), tmp)
        os.replace(tmp, path)

    # ----- schedule ----------------------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """MultiStepLR(gamma=0.1) over epoch_milestones: lr = base * 0.1 ** (milestones passed by `epoch`)."""
        self.epoch = int(epoch)
        factor = 0.1 ** bisect.bisect_right(sorted(self.params.epoch_milestones), self.epoch)
        for name, opt in (("generator", self.opt_generator), ("discriminator", self.opt_discriminator),
                          ("kp_detector", self.opt_kp_detector)):
            for group in opt.param_groups:
                group["lr"] = self.base_lrs[name] * factor

    # ----- one iteration -----------------------------------------------------------------------------------
    def _grads(self, module: nn.Module) -> dict[str, torch.Tensor]:
        return {n: p.grad.detach().clone() for n, p in module.named_parameters() if p.grad is not None}

    def generator_losses(self, source: torch.Tensor, driving: torch.Tensor, transform: TpsTransform | None
                         ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The original GeneratorFullModel forward: weighted losses (tensors) and the generated outputs."""
        w = self.weights
        kp_source = self.kp_detector(source)
        kp_driving = self.kp_detector(driving)
        generated: dict[str, Any] = self.generator(source, kp_source=kp_source, kp_driving=kp_driving)
        generated.update(kp_source=kp_source, kp_driving=kp_driving)
        pyr_real = self.pyramid(driving)
        pyr_gen = self.pyramid(generated["prediction"])
        losses: dict[str, torch.Tensor] = {}
        if self.vgg is not None:
            losses["perceptual"] = perceptual_loss(self.vgg, pyr_gen, pyr_real, self.params.scales,
                                                   _items(w["perceptual"]))
        if w["generator_gan"] != 0:
            kp = kp_driving["value"].detach()
            d_gen = self.discriminator(pyr_gen, kp)
            d_real = self.discriminator(pyr_real, kp)
            losses["gen_gan"] = generator_gan_loss(d_gen, w["generator_gan"])
            if sum(_items(w["feature_matching"])) != 0:
                losses["feature_matching"] = feature_matching_loss(d_real, d_gen, _items(w["feature_matching"]))
        if w["equivariance_value"] + w["equivariance_jacobian"] != 0:
            if transform is None:
                tp = self.params.transform_params
                transform = TpsTransform.random(source.shape[0], tp["sigma_affine"], tp.get("sigma_tps"),
                                                tp.get("points_tps"), generator=self.rng)
            transformed = transform.transform_frame(driving)
            transformed_kp = self.kp_detector(transformed)
            generated.update(transformed_frame=transformed, transformed_kp=transformed_kp)
            if w["equivariance_value"] != 0:
                losses["equivariance_value"] = equivariance_value_loss(
                    kp_driving["value"], transform, transformed_kp["value"], w["equivariance_value"])
            if w["equivariance_jacobian"] != 0:
                losses["equivariance_jacobian"] = equivariance_jacobian_loss(
                    kp_driving["jacobian"], transform, transformed_kp["value"], transformed_kp["jacobian"],
                    w["equivariance_jacobian"])
        return losses, generated

    def discriminator_losses(self, driving: torch.Tensor, generated: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The original DiscriminatorFullModel forward, on the detached prediction."""
        scales = self.discriminator.scales
        pyr_real = {str(s): v for s, v in zip(scales, self._pyramid_at(driving, scales))}
        pyr_gen = {str(s): v for s, v in zip(scales, self._pyramid_at(generated["prediction"].detach(), scales))}
        kp = generated["kp_driving"]["value"].detach()
        d_gen = self.discriminator(pyr_gen, kp)
        d_real = self.discriminator(pyr_real, kp)
        return {"disc_gan": discriminator_gan_loss(d_real, d_gen, self.weights["discriminator_gan"])}

    def _pyramid_at(self, image: torch.Tensor, scales) -> list[torch.Tensor]:
        return [self.pyramid.downs[scale_key(s)](image) for s in scales]

    def step(self, batch: Mapping[str, torch.Tensor], transform: TpsTransform | None = None
             ) -> tuple[dict[str, float], dict[str, Any]]:
        """One training iteration (the original loop body); returns (losses as floats, generated)."""
        source = batch["source"].to(self.device, self.dtype)
        driving = batch["driving"].to(self.device, self.dtype)
        losses, generated = self.generator_losses(source, driving, transform)
        total = sum(v.mean() for v in losses.values())
        total.backward()
        if self.record_gradients:
            self.gradients = {"generator": self._grads(self.generator), "kp_detector": self._grads(self.kp_detector)}
        self.opt_generator.step()
        self.opt_generator.zero_grad()
        self.opt_kp_detector.step()
        self.opt_kp_detector.zero_grad()
        if self.weights["generator_gan"] != 0:
            self.opt_discriminator.zero_grad()
            d_losses = self.discriminator_losses(driving, generated)
            sum(v.mean() for v in d_losses.values()).backward()
            if self.record_gradients:
                self.gradients["discriminator"] = self._grads(self.discriminator)
            self.opt_discriminator.step()
            self.opt_discriminator.zero_grad()
            losses.update(d_losses)
        return {k: float(v.mean().detach()) for k, v in losses.items()}, generated
