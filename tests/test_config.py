"""Options: each one's flag, help and label live with its field; a bad value is named as each front door calls it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from huggingtweets import cli
from huggingtweets.config import GROUPS, OPTIONS, BotConfig, TrainOptions, flag, label, option_commands
from huggingtweets.errors import ConfigError, error_line


def _flags(command: str) -> set[str]:
    parser = cli.build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return {s for action in parser._actions for s in action.option_strings}


def test_every_option_with_a_flag_is_on_its_commands_and_only_there() -> None:
    for name in OPTIONS:
        for command in ("demo", "data", "train"):
            has = command in option_commands(name)
            if name == "sources":  # the positional SOURCE
                continue
            assert (flag(name) in _flags(command)) == has, (name, command)
    assert "--validation-fraction" not in _flags("train") and option_commands("validation_fraction") == ()
    assert "--base-model" not in _flags("demo") and "--base-model" in _flags("train")
    assert {"-n", "--num-samples", "--prompt"} <= _flags("generate")


def test_a_new_option_needs_only_its_field(monkeypatch) -> None:
    """What `build_parser` knows of an option comes from its field: a new field is a new flag,
    with its help and default, and the parsed value reaches the config."""
    import dataclasses

    from huggingtweets.config import option

    @dataclasses.dataclass(frozen=True)
    class Extra:
        warmup_posts: int = option(7, "posts read before training (default: {default})")

    extra = fields(Extra)[0]
    monkeypatch.setitem(OPTIONS, "warmup_posts", extra)
    monkeypatch.setattr("huggingtweets.config._GROUP_OF", {"warmup_posts": "train"})
    parser = cli.build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    action = next(a for a in train._actions if "--warmup-posts" in a.option_strings)
    assert action.help == "posts read before training (default: 7)" and action.type is int
    args = parser.parse_args(["train", "sample", "--warmup-posts", "3"])
    assert cli._config_fields(args)["warmup_posts"] == 3


def test_flags_parse_into_the_config_s_types() -> None:
    args = cli.build_parser().parse_args(["train", "a.csv", "b.csv", "--mentions", "drop", "--overwrite",
                                          "--lora-targets", "c_attn, c_proj", "--epochs", "2", "--out", "bots/x"])
    config = cli._config(args)
    assert config.sources == ("a.csv", "b.csv") and config.data.keep_mentions is False
    assert config.if_bot_exists == "replace" and config.train.lora_targets == ("c_attn", "c_proj")
    assert config.train.epochs == 2.0 and str(config.out_dir) == "bots/x"
    plain = cli._config(cli.build_parser().parse_args(["train", "a.csv"]))
    assert plain == BotConfig.of(("a.csv",))  # nothing given: every default, from the fields


def test_a_bad_value_is_named_as_each_door_calls_it() -> None:
    with pytest.raises(ConfigError) as caught:
        BotConfig.of(("sample",), max_posts=0)
    assert str(caught.value) == "max_posts must be at least 1, got 0"  # a Python caller's words
    assert error_line(caught.value) == "Error: --max-posts must be at least 1, got 0."
    assert error_line(caught.value, "notebook") == "Error: Max posts must be at least 1, got 0."
    with pytest.raises(ConfigError) as caught:
        TrainOptions(epochs=-1)
    assert str(caught.value).endswith("Try epochs=4") and error_line(caught.value).endswith("Try --epochs 4.")
    assert label("base_model") == "Base model" and flag("continue_from") == "--continue"


def test_every_option_says_what_it_does() -> None:
    for name, f in OPTIONS.items():
        assert f.metadata.get("help"), name
    assert set(OPTIONS) == {f.name for options in (BotConfig, *GROUPS.values()) for f in fields(options)} - set(GROUPS)


@pytest.mark.parametrize("prompt", ["Family night 👨\u200d👩\u200d👧 at home", "Oslo\u00a0tonight", "Heia 🇳🇴!",
                                    "e\u0301te\u0301"])
def test_a_prompt_of_typed_text_is_accepted(prompt) -> None:
    assert BotConfig.of(("sample",), prompt=prompt).sample.prompt == prompt


@pytest.mark.parametrize("prompt", ["two\nlines", "a\u2028b", "\x1b[31mred", "nul\x00", "half \ud83d"])
def test_a_prompt_that_is_not_one_line_of_text_is_refused(prompt) -> None:
    with pytest.raises(ConfigError, match="prompt must be one line of text"):
        BotConfig.of(("sample",), prompt=prompt)
