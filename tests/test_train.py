from __future__ import annotations

import math

from huggingtweets.events import TrainProgress
from huggingtweets.train import perplexity


def test_loss_falls_and_perplexity_improves(memorised) -> None:
    _, _, result, events = memorised
    losses = [e.metrics["loss"] for e in events if isinstance(e, TrainProgress) and "loss" in e.metrics]
    assert len(losses) > 10
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    m = result.metrics
    assert m["perplexity_after"] < m["perplexity_before"] / 10
    assert m["perplexity_after"] == perplexity(m["eval_loss_after"])
    assert m["device"] == "cpu" and m["precision"] == "fp32"
    assert m["tokens_seen"] == m["steps"] * 8 * 64 and m["tokens_per_second"] > 0


def test_perplexity_is_guarded_against_overflow() -> None:
    assert perplexity(0.0) == 1.0
    assert perplexity(2.0) == math.exp(2.0)
    assert perplexity(1e6) == float("inf")


def test_progress_events_count_up_to_the_last_step(memorised) -> None:
    _, _, result, events = memorised
    steps = [e.step for e in events if isinstance(e, TrainProgress)]
    assert steps == sorted(steps) and steps[-1] == result.metrics["steps"]
    evals = [e for e in events if isinstance(e, TrainProgress) and "eval_loss" in e.metrics]
    assert len(evals) == 12  # one per epoch
    assert all(e.metrics["perplexity"] == perplexity(e.metrics["eval_loss"]) for e in evals)


def test_a_checkpoint_that_meets_a_full_disk_is_the_disk_full_error(memorised, tmp_path, monkeypatch) -> None:
    import errno

    import pytest
    import transformers

    import huggingtweets.train as train
    from huggingtweets.dataset import pack_blocks

    model, tokenizer, _, _ = memorised

    def save_fails(self, *args, **kwargs):  # torch.save says "unexpected pos" when the disk fills
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 3110464 vs 3110352")

    monkeypatch.setattr(transformers.Trainer, "train", save_fails)
    blocks = pack_blocks(["the ferry is late again"] * 8, tokenizer, block_size=64)
    with pytest.raises(RuntimeError, match="unexpected pos"):  # room left on the disk: not ours to name
        train.train_model(model, tokenizer, blocks, blocks, epochs=1, learning_rate=1e-3, batch_size=8,
                          output_dir=tmp_path / "checkpoints")
    monkeypatch.setattr(train, "disk_full", lambda path: True)
    with pytest.raises(OSError) as caught:
        train.train_model(model, tokenizer, blocks, blocks, epochs=1, learning_rate=1e-3, batch_size=8,
                          output_dir=tmp_path / "checkpoints")
    assert caught.value.errno == errno.ENOSPC and "checkpoints" in caught.value.filename
