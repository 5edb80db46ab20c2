"""The loss curve and the posts picture: written for any text the data holds."""

from __future__ import annotations

import pytest

from huggingtweets.plots import plot_losses, plot_predictions

MATH = ["$\\frac{a$", "costs $5 and $6", "$x^2$", "\\$ {"]


@pytest.mark.parametrize("text", MATH)
def test_the_loss_curve_takes_any_base_folder_name(tmp_path, text) -> None:
    history = [{"epoch": 0.5, "loss": 3.2}, {"epoch": 1.0, "eval_loss": 3.0}, {"epoch": 1.0, "loss": 2.9}]
    path = plot_losses(history, tmp_path / "loss.png", title=f"dot on bases/{text}")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("text", MATH)
def test_the_posts_picture_takes_any_prompt_and_post(tmp_path, text) -> None:
    path = plot_predictions([f"{text} is what I said", "a plain post"], f"dot{text}", tmp_path / "p.png", prompt=text)
    assert path.read_bytes().startswith(b"\x89PNG")
