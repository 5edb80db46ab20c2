from __future__ import annotations

import math

import pytest

from huggingtweets.events import TrainProgress
from huggingtweets.recipe import Recipe
from huggingtweets.train import perplexity

SHORT = Recipe(epochs=1, learning_rate=1e-3, batch_size=8, block_size=64, warmup_ratio=0.0)


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
        train.train_model(model, tokenizer, blocks, blocks, SHORT, train.TrainRun(tmp_path / "checkpoints"))
    monkeypatch.setattr(train, "disk_full", lambda path: True)
    with pytest.raises(OSError) as caught:
        train.train_model(model, tokenizer, blocks, blocks, SHORT, train.TrainRun(tmp_path / "checkpoints"))
    assert caught.value.errno == errno.ENOSPC and "checkpoints" in caught.value.filename


def _overfitting_run(tmp_path, *, epochs: float, checkpoint_seconds: float = 300.0, resume: bool = False,
                     on_event=None, **recipe_fields):
    """A tiny model trained on one planted post repeated, checked on other posts: after its first
    epoch it only overfits, and its validation loss rises. (model, result, validation blocks)."""
    from helpers import PLANTED, TINY, VARIED
    from huggingtweets.dataset import pack_blocks
    from huggingtweets.models import load_base_model
    from huggingtweets.train import TrainRun, train_model

    model, tokenizer = load_base_model("scratch", texts=[PLANTED] + VARIED, folder=tmp_path / "base", shape=TINY,
                                       seed=0, reuse=True)
    train = pack_blocks([PLANTED] * 100, tokenizer, block_size=64)
    evals = pack_blocks(VARIED[40:], tokenizer, block_size=64)
    recipe = Recipe(epochs=epochs, learning_rate=1e-2, batch_size=8, block_size=64, warmup_ratio=0.0, **recipe_fields)
    result = train_model(model, tokenizer, train, evals, recipe,
                         TrainRun(tmp_path / "checkpoints", checkpoint_seconds=checkpoint_seconds, resume=resume,
                                  on_event=on_event or (lambda e: None)))
    return model, result, evals


def _validation_loss(model, blocks, tmp_path) -> float:
    """The validation loss of the model as it is now, measured as train_model measures it."""
    from transformers import Trainer, TrainingArguments, default_data_collator

    args = TrainingArguments(output_dir=str(tmp_path / "evaluate"), per_device_eval_batch_size=8, use_cpu=True,
                             report_to="none", disable_tqdm=True)
    return Trainer(model=model, args=args, data_collator=default_data_collator).evaluate(blocks)["eval_loss"]


def test_the_best_epoch_is_the_model_kept_when_later_epochs_got_worse(tmp_path) -> None:
    model, result, evals = _overfitting_run(tmp_path, epochs=8)
    epoch_losses = [row["eval_loss"] for row in result.log_history if "eval_loss" in row]
    assert epoch_losses[-1] > min(epoch_losses)  # it did get worse: the case under test
    assert result.metrics["eval_loss_after"] == min(epoch_losses) and result.metrics["best_epoch"] < 8
    assert _validation_loss(model, evals, tmp_path) == pytest.approx(min(epoch_losses), rel=1e-4)  # those very weights
    assert not list((tmp_path / "checkpoints").glob("checkpoint-*"))  # seconds of training: no checkpoint


def test_a_run_cut_after_its_best_epoch_resumes_to_the_same_best_weights(tmp_path) -> None:
    whole_model, whole, evals = _overfitting_run(tmp_path / "whole", epochs=8)
    best_epoch = whole.metrics["best_epoch"]

    def cut(event) -> None:  # Colab disconnects two epochs after the best one
        if isinstance(event, TrainProgress) and event.epoch > best_epoch + 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _overfitting_run(tmp_path / "cut", epochs=8, checkpoint_seconds=0, on_event=cut)
    assert list((tmp_path / "cut" / "checkpoints").glob("checkpoint-*/best.safetensors"))
    model, resumed, _ = _overfitting_run(tmp_path / "cut", epochs=8, checkpoint_seconds=0, resume=True)
    assert resumed.metrics["resumed_from_step"] > 0
    assert resumed.metrics["eval_loss_after"] == pytest.approx(whole.metrics["eval_loss_after"], rel=1e-4)
    assert _validation_loss(model, evals, tmp_path) == pytest.approx(_validation_loss(whole_model, evals, tmp_path), rel=1e-4)


def test_training_stops_once_validation_stops_improving_and_keeps_the_best(tmp_path) -> None:
    whole_model, whole, evals = _overfitting_run(tmp_path / "whole", epochs=8)
    model, stopped, _ = _overfitting_run(tmp_path / "stopped", epochs=8, patience=2)
    best = whole.metrics["best_epoch"]
    assert best < 6  # the case under test: two epochs without a new best come before the end
    assert stopped.metrics["epochs"] == 8 and stopped.metrics["epochs_trained"] == pytest.approx(best + 2, abs=0.2)
    assert stopped.metrics["steps"] < whole.metrics["steps"]
    assert stopped.metrics["eval_loss_after"] == pytest.approx(whole.metrics["eval_loss_after"], rel=1e-4)
    assert _validation_loss(model, evals, tmp_path) == pytest.approx(_validation_loss(whole_model, evals, tmp_path),
                                                                     rel=1e-4)


def test_a_small_archive_whose_validation_has_clearly_peaked_stops_under_its_floor(tmp_path) -> None:
    floor = {"epochs": 8, "patience": 2, "min_steps": 100}  # the floor raises 8 epochs to 100 steps
    held, held_result, _ = _overfitting_run(tmp_path / "held", **floor)
    model, stopped, evals = _overfitting_run(tmp_path / "peaked", **floor, peak_margin=0.05)
    assert held_result.metrics["steps"] >= 100 and not held_result.metrics["stopped_early"]
    assert stopped.metrics["stopped_early"] and stopped.metrics["steps"] < held_result.metrics["steps"] / 2
    assert stopped.metrics["eval_loss_after"] == pytest.approx(held_result.metrics["eval_loss_after"], rel=1e-4)
    assert _validation_loss(model, evals, tmp_path) == pytest.approx(_validation_loss(held, evals, tmp_path), rel=1e-4)
    from huggingtweets.recipe import choose_recipe

    assert choose_recipe(pretrained=True).peak_margin and choose_recipe(pretrained=True, width=576).peak_margin


def test_small_archives_train_a_floor_of_steps_large_ones_a_ceiling() -> None:
    recipe = Recipe(epochs=2, learning_rate=1e-3, batch_size=4, block_size=128, warmup_ratio=0.1, min_steps=60,
                    max_steps=1_500, evals_per_epoch=2)
    small = recipe.plan(40)  # 10 steps an epoch: 2 epochs would be 20 steps
    assert (small.epochs, small.steps, small.eval_steps, small.warmup_steps) == (6, 60, 5, 6)
    assert recipe.plan(2_000).steps == 1_000  # 500 steps an epoch: both epochs fit under the ceiling
    large = recipe.plan(4_000)  # 1,000 steps an epoch: the ceiling cuts the second epoch short
    assert (large.epochs, large.steps, large.eval_steps, large.warmup_steps) == (1.5, 1_500, 500, 150)
    assert recipe.plan(4_000, processes=2).steps == 1_000  # two processes share each epoch


def test_the_token_embeddings_learn_at_their_own_rate_and_norms_are_not_decayed() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    from huggingtweets.train import _optimizer

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=50, n_positions=32))
    recipe = Recipe(epochs=1, learning_rate=1e-3, batch_size=4, block_size=32, warmup_ratio=0.0,
                    embedding_lr_scale=3.0, weight_decay=0.1)
    groups = _optimizer(model, recipe, fused=False).param_groups
    embedding = model.get_input_embeddings().weight  # tied: the output layer is the same tensor
    by_tensor = {id(p): g for g in groups for p in g["params"]}
    assert by_tensor[id(embedding)]["lr"] == pytest.approx(3e-3) and by_tensor[id(embedding)]["weight_decay"] == 0.1
    assert by_tensor[id(model.transformer.h[0].attn.c_attn.weight)]["lr"] == pytest.approx(1e-3)
    assert by_tensor[id(model.transformer.ln_f.weight)]["weight_decay"] == 0.0
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))  # every weight, once


def test_epochs_a_user_gives_are_all_trained_and_the_recipe_s_stop_early() -> None:
    from huggingtweets.recipe import choose_recipe

    chosen = choose_recipe(pretrained=True)
    assert chosen.patience and chosen.min_steps and chosen.max_steps  # the recipe's own length comes from the data
    given = choose_recipe(pretrained=True, epochs=2)
    assert (given.epochs, given.patience, given.min_steps, given.max_steps) == (2, None, 0, None)
    assert given.plan(40).steps == 20 and given.plan(40_000).steps == 20_000


def test_a_wider_base_gets_a_lower_rate_and_a_lower_floor_of_steps() -> None:
    from huggingtweets.recipe import choose_recipe

    narrow, wide = choose_recipe(pretrained=True, width=256), choose_recipe(pretrained=True, width=576)
    assert wide.learning_rate < narrow.learning_rate and 0 < wide.min_steps < narrow.min_steps
    assert wide.learning_rate / narrow.learning_rate == pytest.approx(wide.min_steps / narrow.min_steps, rel=0.02)
    assert choose_recipe(pretrained=True, width=64) == narrow  # never above what was measured
    per_epoch = 19  # SmolLM2-135M on a 300-post archive: the floor no longer outlasts validation's patience
    assert wide.plan(per_epoch * wide.batch_size).epochs == wide.epochs
    assert narrow.plan(per_epoch * narrow.batch_size).epochs > wide.epochs


def test_after_the_best_point_the_validation_posts_are_learned_too(tmp_path) -> None:
    best_model, best, evals = _overfitting_run(tmp_path / "best", epochs=4)
    model, refit, _ = _overfitting_run(tmp_path / "refit", epochs=4, refit_epochs=2, refit_lr_scale=0.3)
    steps = 2 * math.ceil(len(evals) / 8)
    m = refit.metrics
    assert (m["refit_epochs"], m["refit_steps"], m["refit_learning_rate"]) == (2, steps, pytest.approx(3e-3))
    assert m["tokens_seen"] == (m["steps"] + steps) * 8 * 64
    assert m["eval_loss_after"] == pytest.approx(best.metrics["eval_loss_after"], rel=1e-4)  # chosen before the refit
    # the newest posts, which the best point had never seen, are now learned: the bot predicts them better
    assert _validation_loss(model, evals, tmp_path) < 0.9 * _validation_loss(best_model, evals, tmp_path)
    assert best.metrics["refit_steps"] == 0 and best.metrics["refit_epochs"] == 0


def test_the_fine_tuning_recipe_learns_its_validation_posts_last() -> None:
    from huggingtweets.recipe import choose_recipe

    assert choose_recipe(pretrained=True).refit_epochs > 0 and choose_recipe(pretrained=True, epochs=2).refit_epochs > 0
    assert choose_recipe(pretrained=False).refit_epochs == 0  # the scratch recipe was never measured with it


def test_patience_ends_training_only_past_the_floor_of_steps() -> None:
    from types import SimpleNamespace

    from transformers import GPT2Config, GPT2LMHeadModel

    from huggingtweets.train import KeepBest

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=20, n_positions=8))
    best = KeepBest(model, checkpoint_seconds=1e9, patience=2, min_steps=40)
    args, control = SimpleNamespace(output_dir="unused"), SimpleNamespace(should_training_stop=False)
    best.on_train_begin(args, SimpleNamespace(global_step=0), control)
    for step, loss in ((10, 3.0), (20, 3.1), (30, 3.2)):  # two without a new best, but under the floor
        best.on_evaluate(args, SimpleNamespace(global_step=step, max_steps=100), control, metrics={"eval_loss": loss})
    assert not control.should_training_stop and best.step == 10
    best.on_evaluate(args, SimpleNamespace(global_step=40, max_steps=100), control, metrics={"eval_loss": 3.3})
    assert control.should_training_stop and best.stopped
    assert best.on_substep_end(args, None, control) is None  # any other event of the Trainer's: nothing


def test_under_the_floor_training_ends_only_once_validation_has_clearly_peaked() -> None:
    from types import SimpleNamespace

    from transformers import GPT2Config, GPT2LMHeadModel

    from huggingtweets.train import KeepBest

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=20, n_positions=8))

    def stops_at(losses: list[float]) -> int | None:
        best = KeepBest(model, checkpoint_seconds=1e9, patience=2, min_steps=100, peak_margin=0.05)
        args, control = SimpleNamespace(output_dir="unused"), SimpleNamespace(should_training_stop=False)
        best.on_train_begin(args, SimpleNamespace(global_step=0), control)
        for step, loss in enumerate(losses, start=1):
            best.on_evaluate(args, SimpleNamespace(global_step=step * 10, max_steps=200), control,
                             metrics={"eval_loss": loss})
            if control.should_training_stop:
                return step * 10
        return None

    assert stops_at([3.0, 2.9, 2.94, 2.93, 2.92, 2.91, 2.93]) is None  # a plateau within the margin: the floor holds
    assert stops_at([3.0, 2.9, 2.96, 3.0]) == 40  # risen twice by more than the margin: peaked, stop at step 40
    assert stops_at([3.0, 2.9, 2.96, 2.92, 2.97, 3.1]) == 60  # the rise must be in a row


def test_a_non_finite_loss_ends_training_with_one_line() -> None:
    from types import SimpleNamespace

    from huggingtweets.errors import TrainingError, error_line
    from huggingtweets.train import FiniteLoss

    check, state = FiniteLoss(1e-3), SimpleNamespace(global_step=7, max_steps=50)
    check.on_log(None, state, None, logs={"loss": float("nan")})  # before training: train_model's own check
    check.on_train_begin(None, state, None)
    check.on_log(None, state, None, logs={"loss": 2.5})
    with pytest.raises(TrainingError) as caught:
        check.on_log(None, state, None, logs={"eval_loss": float("inf")})
    assert error_line(caught.value) == ("Error: training diverged: the validation loss became inf at step 7 of 50, so "
                                        "nothing was exported. Train again with a lower --learning-rate (this run "
                                        "used 0.001; try 0.00025).")
    assert "learning_rate" in str(caught.value)  # a library caller reads the parameter's name


def test_end_data_parallel_closes_the_process_group_and_is_harmless_alone() -> None:
    """Each `accelerate launch` process closes its process group once training ends: left open,
    a process could abort at exit after a finished training and fail the launch."""
    import torch.distributed as dist

    from huggingtweets.train import end_data_parallel

    end_data_parallel()  # one process: nothing to close
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        end_data_parallel()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
