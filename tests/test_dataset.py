from __future__ import annotations

from collections import Counter

import pytest
from helpers import TRUMP_CSV, make_post, needs_trump_csv

from huggingtweets.dataset import pack_blocks, pack_posts, split_and_mix, tokenize_posts


def _people(sizes: dict[str, tuple[int, int]]) -> dict:
    """handle → (posts, chars per post)."""
    return {h: [make_post(f"{h} post {i} " + "x" * (chars - 12), i, handle=h) for i in range(n)]
            for h, (n, chars) in sizes.items()}


def _train_chars(splits) -> Counter:
    chars: Counter = Counter()
    for row in splits.train:
        chars[row["handle"]] += len(row["text"])
    return chars


def test_every_person_gets_a_validation_share_of_at_least_one() -> None:
    splits = split_and_mix(_people({"big": (200, 50), "small": (3, 50)}), validation_fraction=0.1, seed=1)
    val = Counter(r["handle"] for r in splits.validation)
    assert val == {"big": 20, "small": 1}
    train_texts = {r["text"] for r in splits.train}
    assert not train_texts & {r["text"] for r in splits.validation}


def test_a_large_archive_holds_out_only_its_newest_250_posts() -> None:
    # past ~250 posts a validation set measures no better, and each post more is one of the newest taken
    # from training (recipe.MAX_VALIDATION_POSTS)
    from dataclasses import replace
    from datetime import timedelta

    people = {h: [replace(p, created_at=p.created_at + timedelta(hours=i)) for i, p in enumerate(posts)]
              for h, posts in _people({"big": (5000, 50), "small": (600, 50)}).items()}
    splits = split_and_mix(people, seed=1)
    assert splits.held_out == {"big": "newest", "small": "newest"}
    val = Counter(r["handle"] for r in splits.validation)
    assert val == {"big": 250, "small": 60}
    newest = {f"big post {i} " for i in range(4750, 5000)}
    assert {r["text"][:len("big post 4999 ")] for r in splits.validation if r["handle"] == "big"} == newest


@pytest.mark.parametrize("sizes", [
    {"a": (1000, 100), "b": (50, 80)},
    {"a": (1200, 120), "b": (300, 40), "c": (40, 200)},
])
def test_mixing_gives_each_person_about_the_same_characters(sizes) -> None:
    splits = split_and_mix(_people(sizes), seed=7)
    chars = _train_chars(splits)
    biggest = max(chars.values())
    for handle, n in chars.items():
        assert n == pytest.approx(biggest, rel=0.05), (handle, chars)
    assert splits.repeats["a"] == 1.0 and all(r > 1 for h, r in splits.repeats.items() if h != "a")


def test_people_are_interleaved_not_in_blocks() -> None:
    splits = split_and_mix(_people({"a": (300, 60), "b": (300, 60)}), seed=3)
    first_half = Counter(r["handle"] for r in splits.train[: len(splits.train) // 2])
    assert 0.35 < first_half["a"] / sum(first_half.values()) < 0.65


def test_same_seed_same_split_other_seed_other_split() -> None:
    people = _people({"a": (100, 60), "b": (20, 60)})
    assert split_and_mix(people, seed=5) == split_and_mix(people, seed=5)
    assert split_and_mix(people, seed=5).train != split_and_mix(people, seed=6).train


class _SpaceTokenizer:
    """Word-level stand-in: one id per word, id 0 for the separator."""
    eos_token = "<|endoftext|>"

    def __call__(self, texts, add_special_tokens=False):
        ids = [[0 if w == self.eos_token else len(w) for w in t.replace(self.eos_token, self.eos_token + " ").split()]
               for t in texts]
        return {"input_ids": ids}


def test_each_post_starts_with_the_separator() -> None:
    out = tokenize_posts({"text": ["one two", "three"]}, _SpaceTokenizer())
    assert out["input_ids"] == [[0, 3, 3], [0, 5]]


def _posts_in(block: list[int], labels: list[int]) -> list[list[int]]:
    """The separator-led posts of one packed block, its padding left out."""
    real = [t for t, label in zip(block, labels) if label != -100]
    assert real[-1] == 0, "a block ends with the separator that closes its last post"
    posts: list[list[int]] = []
    for token in real[:-1]:
        if token == 0:
            posts.append([])
        posts[-1].append(token)
    return posts


def test_blocks_hold_whole_posts_each_starting_a_block_at_a_post() -> None:
    import random

    rng = random.Random(0)
    posts = [[0] + [rng.randint(1, 9) for _ in range(rng.randint(1, 30))] for _ in range(300)]
    out = pack_posts(posts, block_size=64, separator_id=0)
    assert all(len(row) == 64 for row in out["input_ids"])
    packed = [p for ids, labels in zip(out["input_ids"], out["labels"]) for p in _posts_in(ids, labels)]
    assert sorted(packed) == sorted(posts)  # every post once, whole, nothing dropped
    for ids, labels in zip(out["input_ids"], out["labels"]):
        real = [label for label in labels if label != -100]
        assert ids[: len(real)] == real and labels[len(real):] == [-100] * (64 - len(real))  # padding only at the end
    filled = sum(label != -100 for labels in out["labels"] for label in labels) / (64 * len(out["labels"]))
    assert filled > 0.9, filled  # best fit leaves little padding


def test_a_post_longer_than_a_block_fills_blocks_and_packs_its_rest() -> None:
    long_post = [0] + list(range(1, 20))  # 20 tokens, blocks of 8
    out = pack_posts([long_post, [0, 5]], block_size=8, separator_id=0)
    assert out["input_ids"][:2] == [long_post[:8], long_post[8:16]] and out["labels"][:2] == out["input_ids"][:2]
    (row,), (labels,) = out["input_ids"][2:], out["labels"][2:]
    assert [t for t, label in zip(row, labels) if label != -100] == [16, 17, 18, 19, 0, 5, 0]


def test_pack_blocks_on_a_real_tokenizer(tmp_path, tiny_shape) -> None:
    from huggingtweets.models import load_base_model

    texts = [f"Kevin stole scone number {i} from the harbour wall" for i in range(200)]
    _, tokenizer = load_base_model("scratch", texts=texts, folder=tmp_path / "base", shape=tiny_shape)
    blocks = pack_blocks(texts, tokenizer, block_size=32)
    assert len(blocks) > 10
    assert all(len(row) == 32 for row in blocks["input_ids"])
    assert all(row[0] == tokenizer.eos_token_id for row in blocks["input_ids"])  # each block starts at a post
    decoded = tokenizer.decode(blocks[0]["input_ids"])
    assert decoded.startswith("<|endoftext|>Kevin stole scone number")


@needs_trump_csv
def test_real_csv_gives_identical_files_for_the_same_seed(tmp_path) -> None:
    from huggingtweets.config import BotConfig
    from huggingtweets.pipeline import prepare_data

    runs = []
    for name in ("a", "b"):
        prepare_data(BotConfig.of(sources=(str(TRUMP_CSV),), out_dir=tmp_path / name, seed=11))
        runs.append({f: (tmp_path / name / "data" / f).read_bytes()
                     for f in ("stats.json", "train.jsonl", "validation.jsonl", "split.json")})
    assert runs[0] == runs[1]
    validation = runs[0]["validation.jsonl"].decode().splitlines()
    assert len(validation) == 250  # 10% would be 891: the cap (recipe.MAX_VALIDATION_POSTS) holds
