"""Fine-tuning an encoder classifier: masked BCE, length-grouped dynamic-padding batches,
gradient accumulation, warmup + linear decay, early stopping on dev macro-F1, and
checkpoints from which a resumed run ends exactly where an uninterrupted one would."""
from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from khitab.config import ConfigError, EncoderConfig, TrainConfig
from khitab.data.dataset import TrainingData
from khitab.evaluation.metrics import dataset_metrics
from khitab.evaluation.thresholds import tune_thresholds
from khitab.io import atomic_file, write_text_atomic
from khitab.models.encoder import EncoderClassifier, classification_model, load_tokenizer
from khitab.models.pretrained import E5_NAMES, resolve_pretrained
from khitab.models.tiny import TINY_NAME, build_tiny_encoder
from khitab.training import distributed

CHECKPOINT_DIR = "checkpoint"
METRICS_LOG = "metrics.jsonl"


@dataclass
class Progress:
    """Where training stands; saved in every checkpoint."""

    epoch: int = 0
    batch: int = 0  # next batch index within ``epoch``
    global_step: int = 0
    best_score: float = -1.0
    best_epoch: int = -1
    bad_epochs: int = 0
    done: bool = False
    history: list[dict] = field(default_factory=list)


def fit_encoder(config: TrainConfig, data: TrainingData, labels: list[str], log: Callable[[str], None]):
    optim = config.optim
    device = distributed.setup()
    if optim.num_threads:
        torch.set_num_threads(optim.num_threads)
    torch.manual_seed(config.seed)
    if optim.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    run_dir = Path(config.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)

    classifier = build_classifier(config, data, labels, run_dir)
    classifier.model.to(device)
    train_ids = classifier.tokenize(data.train.texts)["input_ids"]
    targets, known = data.train.matrices(labels)
    weights = np.asarray(data.train.weights, dtype=np.float32)
    pos_weight = torch.tensor([optim.pos_weight.get(label, 1.0) for label in labels], device=device)

    model = classifier.model
    trainable = [p for p in model.parameters() if p.requires_grad]
    steps_per_epoch = math.ceil(len(epoch_batches(train_ids, optim.batch_size, config.seed, 0)) / optim.grad_accum)
    total_steps = optim.max_steps or optim.epochs * steps_per_epoch
    optimizer, scheduler = make_optimizer(model, optim, total_steps)
    wrapped = wrap_distributed(model, device)
    autocast = autocast_context(optim.precision, device)

    progress = Progress()
    checkpoint = run_dir / CHECKPOINT_DIR
    fingerprint = run_fingerprint(config, data)
    if optim.resume and (checkpoint / "state.pt").is_file():
        progress = load_checkpoint(checkpoint, model, optimizer, scheduler, fingerprint)
        log(f"resuming from {checkpoint}: epoch {progress.epoch}, batch {progress.batch}, step {progress.global_step}")

    main = distributed.is_main_process()
    while not progress.done and progress.epoch < optim.epochs:
        epoch = progress.epoch
        batches = shard(epoch_batches(train_ids, optim.batch_size, config.seed, epoch))
        wrapped.train()
        started, seen = time.perf_counter(), 0
        bar = tqdm(total=len(batches), initial=progress.batch, desc=f"epoch {epoch + 1}", disable=not main, leave=False)
        for b in range(progress.batch, len(batches)):
            index = batches[b]
            batch = classifier.tokenizer.pad({"input_ids": [train_ids[i] for i in index]}, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast:
                logits = wrapped(**batch).logits.float()
            loss = masked_bce(
                logits,
                torch.as_tensor(targets[index], dtype=torch.float32, device=device),
                torch.as_tensor(known[index], dtype=torch.float32, device=device),
                torch.as_tensor(weights[index], device=device),
                pos_weight,
            )
            (loss / optim.grad_accum).backward()
            seen += len(index)
            bar.update(1)
            if (b + 1) % optim.grad_accum == 0 or b + 1 == len(batches):
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                progress.global_step += 1
                bar.set_postfix(loss=f"{loss.item():.4f}")
                if progress.global_step >= total_steps:
                    progress.batch = len(batches)
                    break
                if progress.global_step % optim.checkpoint_every == 0 and (b + 1) < len(batches):
                    progress.batch = b + 1
                    if main:
                        save_checkpoint(checkpoint, model, optimizer, scheduler, progress, fingerprint)
        bar.close()
        elapsed = time.perf_counter() - started
        record = evaluate_dev(classifier, data, labels, config)
        record.update(epoch=epoch + 1, step=progress.global_step, train_sentences_per_s=seen / max(elapsed, 1e-9))
        progress.history.append(record)
        if main:
            speed = record["train_sentences_per_s"]
            log(f"epoch {epoch + 1}: dev macro-F1 {record['dev_macro_f1']:.4f} ({speed:.1f} sent/s)")
        if record["dev_macro_f1"] > progress.best_score:
            progress.best_score, progress.best_epoch, progress.bad_epochs = record["dev_macro_f1"], epoch + 1, 0
            if main:
                save_trainable(model, checkpoint / "best.pt")
        else:
            progress.bad_epochs += 1
        progress.epoch, progress.batch = epoch + 1, 0
        progress.done = progress.bad_epochs >= optim.patience or progress.global_step >= total_steps
        if main:
            save_checkpoint(checkpoint, model, optimizer, scheduler, progress, fingerprint)
            write_metrics_log(run_dir / METRICS_LOG, progress.history)
        distributed.barrier()

    if (checkpoint / "best.pt").is_file():
        load_trainable(model, checkpoint / "best.pt")
    # The group setup() joined above: every rank has passed the last barrier and nothing
    # collective follows (rank 0 alone tunes thresholds and saves), so leave it cleanly.
    distributed.teardown()
    classifier.metadata = {"best_epoch": progress.best_epoch, "history": progress.history}
    return classifier


def build_classifier(config: TrainConfig, data: TrainingData, labels: list[str], run_dir: Path) -> EncoderClassifier:
    spec: EncoderConfig = config.model
    probe = EncoderClassifier(labels=labels, normalizer=spec.normalizer, arabert_model=spec.arabert_model)
    if spec.pretrained == TINY_NAME:
        base_dir = str(run_dir / "base")
        if not Path(base_dir, "config.json").is_file() and distributed.is_main_process():
            build_tiny_encoder(probe.prepare(data.train.texts), Path(base_dir), spec.tiny_vocab_size, config.seed)
        distributed.barrier()
    else:
        base_dir = resolve_pretrained(spec.pretrained)
    torch.manual_seed(config.seed)  # the new head starts from the same weights every run
    model = classification_model(base_dir, labels)
    shippable_base = None
    if spec.lora:
        model = with_lora(model, spec.lora)
        if spec.pretrained in E5_NAMES or not Path(spec.pretrained).exists() and spec.pretrained != TINY_NAME:
            shippable_base = spec.pretrained
    return EncoderClassifier(
        model=model,
        tokenizer=load_tokenizer(base_dir),
        labels=list(labels),
        name=config.name,
        normalizer=spec.normalizer,
        arabert_model=spec.arabert_model,
        max_length=spec.max_length,
        text_prefix=spec.text_prefix,
        base=shippable_base,
        batch_size=config.optim.eval_batch_size,
    )


def with_lora(model, options: dict):
    from peft import LoraConfig, TaskType, get_peft_model

    settings = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.1, "target_modules": ["query", "key", "value", "dense"]}
    settings.update(options)
    settings.setdefault("modules_to_save", ["classifier", "pooler"])
    return get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, **settings))


def epoch_batches(lengths_of: list[list[int]], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Shuffled, then length-sorted within windows of 50 batches, then batch order shuffled:
    little padding, still random. A function of (seed, epoch) only, so resumes replay it."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(len(lengths_of), generator=generator).tolist()
    window = batch_size * 50
    batches = []
    for begin in range(0, len(order), window):
        chunk = sorted(order[begin:begin + window], key=lambda i: len(lengths_of[i]), reverse=True)
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffled]


def shard(batches: list[list[int]]) -> list[list[int]]:
    """This rank's batches: every rank steps the same number of times."""
    world = distributed.world_size()
    if world == 1:
        return batches
    usable = len(batches) - len(batches) % world
    return batches[distributed.rank():usable:world]


def masked_bce(logits, targets, known, weights, pos_weight):
    """Binary cross-entropy over known labels only, each row weighted by its source weight."""
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, targets, pos_weight=pos_weight, reduction="none"
    )
    losses = losses * known * weights[:, None]
    return losses.sum() / known.sum().clamp(min=1.0)


def make_optimizer(model, optim, total_steps: int):
    from transformers import get_linear_schedule_with_warmup

    head_names = ("classifier", "pooler")
    head = [p for n, p in model.named_parameters() if p.requires_grad and any(h in n for h in head_names)]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not any(h in n for h in head_names)]
    groups = [{"params": body, "lr": optim.lr}, {"params": head, "lr": optim.head_lr or optim.lr}]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=optim.weight_decay)
    warmup = int(optim.warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def wrap_distributed(model, device):
    if distributed.world_size() == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def autocast_context(precision: str, device: torch.device):
    use_bf16 = precision == "bf16" or (
        precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported()
    )
    if use_bf16:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    if precision == "fp16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return torch.autocast(device_type=device.type, enabled=False)


def evaluate_dev(classifier: EncoderClassifier, data: TrainingData, labels: list[str], config: TrainConfig) -> dict:
    targets, known = data.dev.matrices(labels)
    probs = classifier.predict_proba(data.dev.texts)
    thresholds = tune_thresholds(probs, targets, known, labels, config.thresholds)
    metrics = dataset_metrics(probs, targets, known, labels, np.array([thresholds[label] for label in labels]))
    return {
        "dev_macro_f1": float(metrics["macro_f1"] or 0.0),
        "dev": {label: {k: m[k] for k in ("f1", "pr_auc")} for label, m in metrics["labels"].items()},
    }


def trainable_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def save_trainable(model, path: Path) -> None:
    with atomic_file(path) as tmp:
        torch.save(trainable_state(model), tmp)


def load_trainable(model, path: Path) -> None:
    state = torch.load(path, weights_only=True)
    missing = set(trainable_state(model)) - set(state)
    if missing:
        raise RuntimeError(f"{path}: checkpoint lacks {sorted(missing)[:3]}...")
    model.load_state_dict(state, strict=False)


class StaleCheckpointError(ConfigError):
    """The checkpoint belongs to a run with other data or settings."""


def run_fingerprint(config: TrainConfig, data: TrainingData) -> str:
    """What a checkpoint must match to be resumed: the training and dev rows (text, labels,
    weight) and every setting that shapes the training trajectory."""
    settings = json.loads(config.model_dump_json())
    for key in ("resume", "num_threads", "checkpoint_every", "eval_batch_size"):
        settings["optim"].pop(key, None)
    settings.pop("output_dir", None)
    rows = [data.digest(), len(data.train), len(data.dev), data.train.weights, data.dev.weights]
    return hashlib.sha256(json.dumps([settings, rows], sort_keys=True).encode()).hexdigest()[:16]


def save_checkpoint(directory: Path, model, optimizer, scheduler, progress: Progress, fingerprint: str) -> None:
    """Everything a resumed run needs, written atomically (a kill leaves the previous one)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "model": trainable_state(model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": torch.get_rng_state(),
        "progress": json.dumps(asdict(progress)),
        "fingerprint": fingerprint,
    }
    with atomic_file(directory / "state.pt") as tmp:
        torch.save(state, tmp)


def load_checkpoint(directory: Path, model, optimizer, scheduler, fingerprint: str) -> Progress:
    state = torch.load(directory / "state.pt", weights_only=True)
    if state.get("fingerprint") != fingerprint:
        # Resuming would silently finish the old run (often at once: its epochs are done).
        raise StaleCheckpointError(
            f"{directory}: checkpoint is from a run with different training data or settings; "
            "delete it, choose another output_dir, or set optim.resume=false to start over"
        )
    model.load_state_dict(state["model"], strict=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    return Progress(**json.loads(state["progress"]))


def write_metrics_log(path: Path, history: list[dict]) -> None:
    write_text_atomic(path, "".join(json.dumps(record) + "\n" for record in history))
